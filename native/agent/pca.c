// The seed's Packet Capture Agent mode (ENABLE_PCA=true): classic pcap to every
// TCP client; the kernel hooks are attached while at least one client is connected; interfaces
// are picked up as they appear and let go as they disappear.
#define _GNU_SOURCE
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../bpf/capture.h"
#include "commands.h"
#include "netns-check.h"
#include "../core/pca-filter.h"
#include "runner.h"
#include "session.h"

#define INTERFACE_POLL_MS 2000
#define MAX_MATCHERS 32
#define DEFAULT_EXCLUDED_INTERFACES "lo"
#define DEFAULT_RING_KIB "16384"

// One entry of an INTERFACES / EXCLUDE_INTERFACES list: a name, or /regex/ (netobserv's syntax).
struct matcher {
  char name[64];
  bool is_name;
  regex_t re;
};

struct matchers {
  struct matcher items[MAX_MATCHERS];
  size_t count;
};

struct pca {
  struct capture_options options;
  struct matchers include, exclude;
  bool default_exclusion;  // EXCLUDE_INTERFACES unset: "lo"
  bool has_token;
  char token[MAX_TOKEN_BYTES + 1];
  char filter_text[256];       // PCA_FILTER as given
  struct pcore_filter filter;  // compiled for both link types: interfaces come and go
  struct session session;
  struct runner runner;
  struct server server;
  int clients;
  bool stopping;
  uint64_t next_poll_ms;
};

static int usage(const char *message) {
  return report_error("E_USAGE", message);
}

static bool matches(const struct matcher *m, const char *name) {
  return m->is_name ? strcmp(m->name, name) == 0 : regexec(&m->re, name, 0, NULL, 0) == 0;
}

static bool any_match(const struct matchers *list, const char *name, bool names_only) {
  for (size_t i = 0; i < list->count; i++)
    if ((!names_only || list->items[i].is_name) && matches(&list->items[i], name)) return true;
  return false;
}

static int parse_matchers(const char *list, const char *what, struct matchers *out, char *message, size_t size) {
  out->count = 0;
  char *copy = strdup(list ? list : "");
  char *save = NULL;
  for (char *entry = strtok_r(copy, ",", &save); entry; entry = strtok_r(NULL, ",", &save)) {
    while (*entry == ' ' || *entry == '\t') entry++;
    size_t len = strlen(entry);
    while (len && (entry[len - 1] == ' ' || entry[len - 1] == '\t')) entry[--len] = 0;
    if (!len) continue;
    if (out->count == MAX_MATCHERS) {
      snprintf(message, size, "%s: at most %d entries", what, MAX_MATCHERS);
      return free(copy), -1;
    }
    struct matcher *m = &out->items[out->count];
    snprintf(m->name, sizeof(m->name), "%s", entry);
    m->is_name = !(len > 2 && entry[0] == '/' && entry[len - 1] == '/');
    if (!m->is_name) {
      entry[len - 1] = 0;
      int err = regcomp(&m->re, entry + 1, REG_EXTENDED | REG_NOSUB);
      if (err) {
        char why[128];
        regerror(err, &m->re, why, sizeof(why));
        snprintf(message, size, "%s: invalid regular expression %s: %s", what, m->name, why);
        return free(copy), -1;
      }
    }
    out->count++;
  }
  free(copy);
  return 0;
}

// Why `name` is captured on, or left out (then *chosen is false), as InterfaceChoice.verdict.
static const char *verdict(const struct pca *p, const char *name, bool *chosen) {
  bool named = any_match(&p->include, name, true);
  *chosen = false;
  if (p->include.count > 0 && !any_match(&p->include, name, false)) return "not in INTERFACES";
  if (any_match(&p->exclude, name, false)) {
    if (!p->default_exclusion) return "in EXCLUDE_INTERFACES";
    if (!named)
      return "excluded by default (EXCLUDE_INTERFACES=" DEFAULT_EXCLUDED_INTERFACES
             "); name it in INTERFACES to capture it";
    *chosen = true;
    return "named in INTERFACES, over the default exclusion";
  }
  *chosen = true;
  if (named) return "named in INTERFACES";
  return p->include.count > 0 ? "matches INTERFACES" : "every interface but the excluded";
}

// A server on a non-loopback address needs a token: captures are sensitive.
static int parse_server(struct pca *p, char *message, size_t size) {
  const char *port = getenv("PCA_SERVER_PORT");
  if (!port || !*port) {
    snprintf(message, size, "ENABLE_PCA=true needs PCA_SERVER_PORT (the TCP port to serve the pcap stream on)");
    return -1;
  }
  uint64_t n;
  if (whole_number_of("PCA_SERVER_PORT", port, 1, 65535, &n, message, size) != 0) return -1;
  const char *host = getenv("PCA_SERVER_HOST");
  struct listen_address *at = &p->options.listen_at;
  snprintf(at->host, sizeof(at->host), "%s", host && *host ? host : "127.0.0.1");
  at->port = (unsigned)n;
  p->options.listen = true;
  if (!is_ip_address(at->host) && strcmp(at->host, "localhost") != 0) {
    snprintf(message, size, "PCA_SERVER_HOST must be an IP address, got \"%s\"", at->host);
    return -1;
  }
  const char *token = getenv("PCA_TOKEN");
  p->has_token = token && *token;
  if (p->has_token) snprintf(p->token, sizeof(p->token), "%s", token);
  if (!is_loopback(at->host) && !p->has_token) {
    snprintf(message, size,
             "refusing to serve captures on %s without a token: set PCA_TOKEN, or bind 127.0.0.1 and use an SSH or "
             "kubectl port-forward",
             at->host);
    return -2;  // E_LISTEN
  }
  return 0;
}

// The seed agent's environment, checked before anything touches the kernel.
static int parse_env(struct pca *p) {
  char message[512];
  struct capture_options *o = &p->options;
  int rc = parse_server(p, message, sizeof(message));
  if (rc != 0) return report_error(rc == -2 ? "E_LISTEN" : "E_USAGE", message);
  const char *exclude = getenv("EXCLUDE_INTERFACES");
  p->default_exclusion = exclude == NULL;
  if (parse_matchers(getenv("INTERFACES"), "INTERFACES", &p->include, message, sizeof(message)) != 0 ||
      parse_matchers(exclude ? exclude : DEFAULT_EXCLUDED_INTERFACES, "EXCLUDE_INTERFACES", &p->exclude, message,
                     sizeof(message)) != 0)
    return usage(message);
  const char *snaplen = getenv("PCA_SNAPLEN");
  o->snaplen = CAP_MAX_SNAPLEN;
  if (snaplen && *snaplen && snaplen_of("-s", snaplen, &o->snaplen, message, sizeof(message)) != 0)
    return usage(message);
  const char *kib = getenv("PCA_BUFFER_KIB");
  if (ring_bytes_from_kib(kib ? kib : DEFAULT_RING_KIB, &o->ring_bytes, message, sizeof(message)) != 0)
    return usage(message);
  o->pcap_format = true;
  o->directions = (1u << CAP_DIR_IN) | (1u << CAP_DIR_OUT);
  return 0;
}

// PCA_FILTER: the seed's PROTO,PORT (as a tcpdump expression), or a tcpdump expression; compiled
// before anything loads, so a bad one is refused without privilege.
static int parse_filter(struct pca *p) {
  const char *text = getenv("PCA_FILTER");
  snprintf(p->filter_text, sizeof(p->filter_text), "%s", text ? text : "");
  pcore_filter_init(&p->filter);
  char why[400];
  if (text && strchr(text, ',')) {
    if (pca_filter_expression(text, p->options.filter, sizeof(p->options.filter), why, sizeof(why)) != 0) {
      char message[4800];
      snprintf(message, sizeof(message), "invalid filter: %s", why);
      return report_error("E_FILTER", message);
    }
  } else {
    snprintf(p->options.filter, sizeof(p->options.filter), "%s", text ? text : "");
  }
  struct pcore_error e;
  if (pcore_filter_compile(&p->filter, p->options.filter, PCORE_LINK_ETHERNET | PCORE_LINK_RAW, p->options.snaplen,
                           &e) != 0)
    return report_error(e.code, e.message);
  return 0;
}

// The interfaces present now, split into chosen and left out, each with why; none chosen is an error.
static int choose_interfaces(struct pca *p, const struct pcore_interface_list *present, bool announce) {
  struct verdict chosen[MAX_INTERFACES], left[MAX_INTERFACES];
  size_t nchosen = 0, nleft = 0;
  for (size_t i = 0; i < present->count && i < MAX_INTERFACES; i++) {
    bool yes;
    const char *why = verdict(p, present->items[i].name, &yes);
    struct verdict v = {present->items[i].name, why};
    if (yes)
      chosen[nchosen++] = v;
    else
      left[nleft++] = v;
  }
  if (nchosen > 0) {
    if (announce) event_interfaces(chosen, nchosen, left, nleft);
    return 0;
  }
  char message[4096] = "no interface to capture on: ";
  for (size_t i = 0; i < nleft; i++)
    snprintf(message + strlen(message), sizeof(message) - strlen(message), "%s%s (%s)", i ? ", " : "", left[i].name,
             left[i].reason);
  if (nleft == 0) strcat(message, "none present");
  return report_error("E_NO_INTERFACE", message);
}

static int announce_interfaces(struct pca *p, bool announce) {
  struct pcore_interface_list present;
  struct pcore_error e;
  if (pcore_list_interfaces(NULL, &present, &e) != 0) return report_error(e.code, e.message);
  int status = choose_interfaces(p, &present, announce);
  pcore_free_interfaces(&present);
  return status;
}

static bool present_in(const struct pcore_interface_list *list, unsigned ifindex) {
  for (size_t i = 0; i < list->count; i++)
    if (list->items[i].index == ifindex) return true;
  return false;
}

// Attached exactly while a client is connected, to the chosen interfaces present now.
static void sync_interfaces(struct pca *p) {
  // Stopping closes every client: their count must not re-attach to a capture being closed.
  if (p->stopping) return;
  struct session *s = &p->session;
  if (p->clients == 0) return session_detach_all(s);
  struct pcore_interface_list present;
  struct pcore_error e;
  if (pcore_list_interfaces(NULL, &present, &e) != 0) return event_error(e.code, e.message);
  for (size_t i = 0; i < s->ninterfaces; i++)
    if (s->interfaces[i].attached && !present_in(&present, s->interfaces[i].a.ifindex))
      session_detach(s, s->interfaces[i].a.ifindex);
  for (size_t i = 0; i < present.count; i++) {
    bool wanted;
    verdict(p, present.items[i].name, &wanted);
    bool attached = false;
    for (size_t k = 0; k < s->ninterfaces; k++)
      if (s->interfaces[k].a.ifindex == present.items[i].index) attached = s->interfaces[k].attached;
    if (!wanted || attached) continue;
    struct known_interface *k = session_attach(s, &present.items[i], &e);
    if (k)
      event_attached(&k->a);
    else
      event_error(e.code, e.message);
  }
  pcore_free_interfaces(&present);
}

static void on_clients(void *ctx, int count) {
  struct pca *p = ctx;
  p->clients = count;
  event_clients(count);
  sync_interfaces(p);
}

static void each_turn(void *ctx) {
  struct pca *p = ctx;
  uint64_t now = loop_now_ms();
  if (now < p->next_poll_ms) return;
  p->next_poll_ms = now + INTERFACE_POLL_MS;
  sync_interfaces(p);
}

static int serve(struct pca *p) {
  struct pcore_error e;
  char message[512];
  if (session_open(&p->session, &p->options, PCORE_LINK_ETHERNET | PCORE_LINK_RAW, &p->filter, NULL, p->options.filter,
                   NULL, &e) != 0) {
    session_close(&p->session, NULL);
    return report_bpf_error(&e, true);
  }
  if (runner_open(&p->runner, &p->session, false) != 0) {
    session_close(&p->session, NULL);
    return report_error("E_INTERNAL", "cannot set up the event loop");
  }
  p->server.on_clients = on_clients;
  p->server.ctx = p;
  p->server.token = p->has_token ? p->token : NULL;
  const struct listen_address *at = &p->options.listen_at;
  if (server_listen(&p->server, &p->runner.loop, at, message, sizeof(message)) != 0) {
    session_close(&p->session, NULL);
    runner_close(&p->runner);
    char full[700];
    snprintf(full, sizeof(full), "cannot listen on %s:%u: %s", at->host, at->port, message);
    return report_error("E_LISTEN", full);
  }
  session_add_server(&p->session, &p->server);
  return 0;
}

int run_pca(void) {
  static struct pca p;  // large: not on the stack
  memset(&p, 0, sizeof(p));
  int status = parse_env(&p);
  if (status == 0) status = parse_filter(&p);
  if (status != 0) return status;
  // Checked before the BPF object loads: a choice that leaves nothing is an error, not a silent empty stream.
  if ((status = announce_interfaces(&p, false)) != 0 || (status = serve(&p)) != 0) return status;
  struct pcore_error e;
  announce_interfaces(&p, true);
  if (!p.has_token)
    warn_tokenless(p.server.host, p.server.port, "the seed-compatible PCA mode; set PCA_TOKEN to require one");
  if (runner_start(&p.runner, &e) != 0) {
    session_close(&p.session, NULL);
    runner_close(&p.runner);
    return report_error(e.code, e.message);
  }
  fprintf(stderr, "pcap-agent: serving pcap on %s:%u", p.server.host, p.server.port);
  if (*p.filter_text) fprintf(stderr, ", filter \"%s\"", p.filter_text);
  fputc('\n', stderr);
  fflush(stderr);
  p.runner.each_turn = each_turn;
  p.runner.ctx = &p;
  p.next_poll_ms = loop_now_ms() + INTERFACE_POLL_MS;
  const char *reason = runner_run(&p.runner);
  p.stopping = true;
  session_close(&p.session, reason);
  runner_close(&p.runner);
  pcore_filter_free(&p.filter);
  return 0;
}
