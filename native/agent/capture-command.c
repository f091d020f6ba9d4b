// `pcap-agent capture`: pick the interfaces, open the output, load and attach, then move records
// from the ring to the output until stdin ends, a signal comes, or a budget is spent.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf-errors.h"
#include "commands.h"
#include "../core/filter-text.h"
#include "netns-check.h"
#include "output-file.h"
#include "runner.h"
#include "session.h"

struct capture {
  const struct capture_options *options;
  struct capture_options storage;
  const struct pcore_interface *chosen[MAX_INTERFACES];
  size_t nchosen;
  struct session session;
  struct runner runner;
  struct stream_sink stream;
  struct server server;
  struct pcore_filter filter;       // compiled before anything loads; installed by session_open
  struct pcore_filter exclusion;    // --exclude, before the filter and kept when set-filter replaces it
  char *filter_text;                // the effective filter: -f with --exclude
  struct process_choice processes;  // --processes, --pid, --cgroup, --container: resolved before anything loads
};

static int pick_interfaces(const struct capture_options *o, const struct pcore_interface_list *available,
                           const struct pcore_interface **chosen, size_t *n) {
  *n = 0;
  for (size_t i = 0; i < o->ninterfaces; i++)
    if (strcmp(o->interfaces[i], "any") == 0) {
      for (size_t k = 0; k < available->count && k < MAX_INTERFACES; k++) chosen[(*n)++] = &available->items[k];
      return 0;
    }
  for (size_t i = 0; i < o->ninterfaces; i++) {
    const struct pcore_interface *found = pcore_find_interface(available, o->interfaces[i]);
    if (found) {
      chosen[(*n)++] = found;
      continue;
    }
    char message[4096];
    int len = snprintf(message, sizeof(message), "no interface \"%s\"%s%s; available: ", o->interfaces[i],
                       *o->netns ? " in " : "", o->netns);
    for (size_t k = 0; k < available->count && len < (int)sizeof(message); k++)
      len += snprintf(message + len, sizeof(message) - (size_t)len, "%s%s", k ? ", " : "", available->items[k].name);
    return report_error("E_NO_INTERFACE", message);
  }
  return 0;
}

static int open_output(const struct capture_options *o, bool *created) {
  *created = false;
  if (!o->write) return -2;  // --listen alone: no stream
  if (strcmp(o->write, "-") != 0) {
    char message[4200];
    int fd = open_capture_file(o->write, o->overwrite, created, message, sizeof(message));
    if (fd < 0) report_error("E_OUTPUT", message);
    return fd;
  }
  if (isatty(STDOUT_FILENO)) {
    report_error("E_OUTPUT",
                 "refusing to write a binary capture to a terminal: use -w FILE, or pipe it (| wireshark -k -i -)");
    return -1;
  }
  return STDOUT_FILENO;
}

int report_bpf_error(struct pcore_error *e, bool load) {
  struct bpf_host_facts facts;
  read_bpf_host_facts(&facts);
  explain_bpf_error(e, load, &facts);
  return report_error(e->code, e->message);
}

static void on_clients(void *ctx, int count) {
  (void)ctx;
  event_clients(count);
}

// The server of --listen: every client gets the header so far, then the live stream.
static int serve(struct capture *c, struct pcore_error *e) {
  char message[512];
  c->server.on_clients = on_clients;
  c->server.token = c->options->has_token ? c->options->token : NULL;
  if (server_listen(&c->server, &c->runner.loop, &c->options->listen_at, message, sizeof(message)) != 0)
    return pcore_fail(e, "E_LISTEN", 0, "cannot listen on %s:%u: %s", c->options->listen_at.host,
                      c->options->listen_at.port, message);
  session_add_server(&c->session, &c->server);
  if (!c->options->has_token) warn_tokenless(c->server.host, c->server.port, "asked for with --no-token");
  return 0;
}

static int attach_all(struct capture *c, struct pcore_error *e) {
  for (size_t i = 0; i < c->nchosen; i++)
    if (!session_attach(&c->session, c->chosen[i], e)) return -1;
  return 0;
}

static int capture_on(struct capture *c, int out_fd) {
  struct session *s = &c->session;
  struct pcore_error e;
  const struct capture_options *o = c->options;
  if (session_open(s, o, session_links(c->chosen, c->nchosen), &c->filter, *o->exclude ? &c->exclusion : NULL,
                   c->filter_text, &c->processes, &e) != 0) {
    session_close(s, NULL);
    return report_bpf_error(&e, true);
  }
  int status = 0;
  if (runner_open(&c->runner, s, true) != 0) {
    pcore_fail_errno(&e, "E_INTERNAL", errno, "set up the event loop");
    status = report_error(e.code, e.message);
  }
  c->runner.control.set_filter = session_set_filter;
  c->runner.control.ctx = s;
  for (size_t i = 0; status == 0 && i < c->nchosen; i++)
    if (!session_register(s, c->chosen[i], &e)) status = report_error(e.code, e.message);
  if (status == 0 && out_fd >= 0) {
    stream_sink_open(&c->stream, &c->runner.loop, out_fd);
    session_add_stream(s, &c->stream);
  }
  if (status == 0 && o->listen && serve(c, &e) != 0) status = report_error(e.code, e.message);
  if (status == 0 && runner_start(&c->runner, &e) != 0) status = report_error(e.code, e.message);
  if (status == 0 && attach_all(c, &e) != 0) status = report_bpf_error(&e, false);
  if (status != 0) {
    session_close(s, NULL);
    runner_close(&c->runner);
    return status;
  }
  struct attached_interface attached[MAX_INTERFACES];
  for (size_t i = 0; i < s->ninterfaces; i++) attached[i] = s->interfaces[i].a;
  event_started(attached, s->ninterfaces, c->filter_text, o->exclude, o->snaplen, o->pcap_format ? "pcap" : "pcapng",
                s->processes != NULL);
  session_start_timers(s, o->events_json);
  session_watch_interfaces(s);
  const char *reason = runner_run(&c->runner);
  session_close(s, reason);
  runner_close(&c->runner);
  return 0;
}

int run_capture(int argc, char **argv) {
  static struct capture c;  // large (the control line, the interfaces): not on the stack
  struct capture_options *o = &c.storage;
  char message[4200];
  const char *code;
  memset(&c, 0, sizeof(c));
  c.options = o;
  if (parse_capture_args(argc, argv, o, &code, message, sizeof(message)) != 0) return report_error(code, message);
  events_use_json(o->events_json);
  struct pcore_interface_list available;
  struct pcore_error e;
  if (list_interfaces_in(o->netns, &available, &e) != 0) return report_error(e.code, e.message);
  int status = pick_interfaces(o, &available, c.chosen, &c.nchosen);
  // The filter is compiled before anything is loaded: a bad one is refused without privilege.
  pcore_filter_init(&c.filter);
  pcore_filter_init_exclusion(&c.exclusion);
  if (status == 0)
    c.filter_text = capture_filter_compile(&c.filter, &c.exclusion, o->filter, o->exclude,
                                           session_links(c.chosen, c.nchosen), o->snaplen, &e);
  if (status == 0 && !c.filter_text) status = report_error(e.code, e.message);
  if (status == 0 && process_choice_resolve(o, &c.processes, &e) != 0) status = report_error(e.code, e.message);
  if (status == 0) {
    bool created;
    int out_fd = open_output(o, &created);
    status = out_fd == -1 ? exit_status("E_OUTPUT") : capture_on(&c, out_fd);
    if (out_fd > STDOUT_FILENO) close(out_fd);
    // A capture that could not start captured nothing: the file it made is not left behind.
    if (status != 0 && created) unlink(o->write);
  }
  pcore_filter_free(&c.filter);
  pcore_filter_free(&c.exclusion);
  process_choice_free(&c.processes);
  free(c.filter_text);
  pcore_free_interfaces(&available);
  return status;
}
