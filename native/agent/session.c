#define _GNU_SOURCE
#include "session.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../core/pcap.h"
#include "../core/netns.h"
#include "../core/pcapng.h"
#include "embedded.h"
#include "fallback.h"
#include "generated.h"
#include "loop.h"

_Static_assert(MAX_INTERFACES <= CAP_MAX_IFACES, "an interface's id in the capture is its IDB number");

#define WAKEUP_BYTES (256 * 1024)  // pending bytes that wake the reader (the addon's default)
#define ETH_HEADER 14

static uint64_t wall_now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void stop(struct session *s, const char *reason) {
  if (!s->stop_reason) s->stop_reason = reason;
}

// Every byte handed out (packets, interface and statistics blocks) counts against --max-bytes.
static void broadcast(struct session *s, const uint8_t *bytes, size_t len, uint64_t packets) {
  if (len == 0) return;
  s->bytes += len;
  if (s->stream && !s->stream->ep.error && stream_sink_write(s->stream, bytes, len, packets) != 0) {
    // A reader that went away (EPIPE) ends the capture quietly.
    if (s->stream->ep.error != EPIPE) {
      char message[300];
      snprintf(message, sizeof(message), "output failed: %s", strerror(s->stream->ep.error));
      event_error("E_OUTPUT", message);
    }
    stop(s, "output-closed");
  }
  if (s->server) server_write(s->server, bytes, len, packets);
}

static void broadcast_pending(struct session *s) {
  broadcast(s, s->pending.data, s->pending.len, s->pending_packets);
  s->pending.len = 0;
  s->pending_packets = 0;
}

static int find_interface(const struct session *s, unsigned ifindex) {
  for (size_t i = 0; i < s->ninterfaces; i++)
    if (s->interfaces[i].a.ifindex == ifindex) return (int)i;
  return -1;
}

static uint32_t encoded_size(const struct session *s, const struct known_interface *k, uint32_t cap_len,
                             const char *comment) {
  if (s->options->pcap_format) return pcore_pcap_record_size(cap_len, k->raw_ip);
  return pcore_pcapng_epb_size(cap_len, comment);
}

// The EPB comment naming the packet's process (pcapng only: classic pcap has no comments); NULL
// for a packet no process owns.
static const char *process_comment(struct session *s, const struct pcore_packet *r) {
  if (!s->processes || !r->tgid || s->options->pcap_format) return NULL;
  return pcore_process_comment(s->processes, r->tgid, r->ts_boot_ns);
}

int session_record(void *ctx, const struct pcore_packet *r, const uint8_t *packet) {
  struct session *s = ctx;
  const struct capture_options *o = s->options;
  // The interface's id in the capture is its IDB number (session_attach); nothing past a budget.
  uint32_t id = r->interface_id;
  if (id >= s->ninterfaces || s->budget_spent) return 0;
  const struct known_interface *k = &s->interfaces[id];
  const char *comment = process_comment(s, r);
  if (o->max_bytes && s->bytes + s->pending.len + encoded_size(s, k, r->cap_len, comment) > o->max_bytes) {
    s->budget_spent = true;
    stop(s, "max-bytes");
    return 0;
  }
  uint64_t ts = r->ts_boot_ns + s->wall_offset_ns;
  int rc;
  if (o->pcap_format) {
    rc = pcore_pcap_record(&s->pending, ts, packet, r->cap_len, r->orig_len, k->raw_ip, o->nanosecond_pcap);
  } else {
    uint32_t flags = r->direction == CAP_DIR_IN ? PCORE_EPB_FLAGS_INBOUND : PCORE_EPB_FLAGS_OUTBOUND;
    rc = pcore_pcapng_epb(&s->pending, id, ts, packet, r->cap_len, r->orig_len, flags, comment);
  }
  if (rc != 0) {
    s->budget_spent = true;  // out of memory: nothing more can be encoded
    stop(s, "error");
    return 0;
  }
  s->packets++;
  s->pending_packets++;
  if (o->count && s->packets >= o->count) {
    s->budget_spent = true;
    stop(s, "count");
  }
  return 0;
}

static int write_header(struct session *s) {
  if (s->options->pcap_format)
    return pcore_pcap_header(&s->header, s->options->snaplen + ETH_HEADER, PCORE_LINKTYPE_ETHERNET,
                             s->options->nanosecond_pcap);
  struct utsname u;
  char os[128], application[64];
  uname(&u);
  snprintf(os, sizeof(os), "Linux %s", u.release);
  snprintf(application, sizeof(application), "pcap-agent %s", PCAP_AGENT_VERSION);
  return pcore_pcapng_shb(&s->header, os, application);
}

unsigned session_links(const struct pcore_interface *const *chosen, size_t n) {
  unsigned links = 0;
  for (size_t i = 0; i < n; i++) links |= pcore_is_raw_ip(chosen[i]->hatype) ? PCORE_LINK_RAW : PCORE_LINK_ETHERNET;
  return links;
}

static int start_filter(struct session *s, struct pcore_filter *f, struct pcore_error *e) {
  int progs = pcore_capture_progs_fd(s->capture);
  return pcore_filter_load(f, progs, e) == 0 && pcore_filter_install(f, progs, e) == 0 ? 0 : -1;
}

// A new filter for the running capture: into the program array, or onto the AF_PACKET sockets.
static int install_filter(struct session *s, struct pcore_filter *f, const char *text, struct pcore_error *e) {
  return s->afpacket ? session_fallback_set_filter(s, text, e) : start_filter(s, f, e);
}

int process_choice_resolve(const struct capture_options *o, struct process_choice *out, struct pcore_error *e) {
  memset(out, 0, sizeof(*out));
  struct pcore_attribution *a = &out->attribution;
  a->enabled = o->processes;
  a->only_selected = o->pid || *o->container || *o->cgroup;
  if (o->pid) return pcore_process_tree(o->pid, &out->pids, e);
  if (*o->container) return pcore_container_processes(o->container, &out->pids, e);
  if (*o->cgroup)
    return pcore_cgroup2_resolve(o->cgroup, &a->cgroup_id, &a->cgroup_level, out->cgroup, sizeof(out->cgroup), e);
  return 0;
}

void process_choice_free(struct process_choice *c) {
  pcore_pids_free(&c->pids);
}

static int kernel_name(void *ctx, uint32_t tgid, char *name) {
  return pcore_capture_process_name(ctx, tgid, name);
}

struct adoption {
  struct pcore_capture *capture;
  struct cap_process process;
};

static int adopt(void *ctx, int fd) {
  struct adoption *a = ctx;
  return pcore_capture_adopt_socket(a->capture, fd, &a->process);
}

static bool chosen(const struct process_choice *p, uint32_t pid) {
  return !p->attribution.only_selected || pcore_pids_contain(&p->pids, pid) ||
         (*p->cgroup && pcore_in_cgroup2(pid, p->cgroup));
}

// The hooks see sockets as they are made or used; those made before the capture started (a server
// already listening, a connection already open) are each given the process that holds it now.
static void adopt_existing_sockets(struct session *s, const struct process_choice *p) {
  struct pcore_pids all = {0};
  struct pcore_error ignored;
  if (pcore_all_processes(&all, &ignored) == 0) {
    for (size_t i = 0; i < all.count; i++) {
      uint32_t pid = all.items[i];
      if (pid == (uint32_t)getpid()) continue;
      struct adoption a = {.capture = s->capture, .process = {.tgid = pid, .pid = pid, .selected = chosen(p, pid)}};
      pcore_process_comm(pid, a.process.comm, sizeof(a.process.comm));
      pcore_each_socket(pid, adopt, &a);
    }
  }
  pcore_pids_free(&all);
}

// The chosen processes into the kernel's set, the sockets that predate the capture, and the cache
// that names each packet's process.
static int start_attribution(struct session *s, const struct process_choice *p, struct pcore_error *e) {
  for (size_t i = 0; i < p->pids.count; i++)
    if (pcore_capture_select_process(s->capture, p->pids.items[i], e) != 0) return -1;
  adopt_existing_sockets(s, p);
  s->processes = pcore_process_cache_new(kernel_name, s->capture);
  return s->processes ? 0 : pcore_fail(e, "E_INTERNAL", ENOMEM, "out of memory");
}

// With --processes-if-available, a host that cannot attribute (no cgroup v2, a hook the kernel
// refuses) captures without processes, and says so; `attribution` is then none.
static int open_capture(struct session *s, const struct pcore_attribution **attribution, struct pcore_error *e) {
  static const struct pcore_attribution none = {0};
  size_t size = (size_t)(capture_bpf_object_end - capture_bpf_object);
  uint32_t ring = s->options->ring_bytes;
  if (pcore_capture_open(capture_bpf_object, size, ring, *attribution, &s->capture, e) == 0) return 0;
  if (!(*attribution)->enabled || !s->options->processes_if_available || strcmp(e->code, "E_NO_ATTRIBUTION") != 0)
    return -1;
  // The error's advice (capture without --processes) is what happens now: not repeated.
  const char *advice = strstr(e->message, "; capture without");
  int why = advice ? (int)(advice - e->message) : (int)strlen(e->message);
  char message[sizeof(e->message) + 64];
  snprintf(message, sizeof(message), "packets do not name their processes: %.*s", why, e->message);
  event_warning("W_NO_ATTRIBUTION", message);
  *attribution = &none;
  return pcore_capture_open(capture_bpf_object, size, ring, &none, &s->capture, e);
}

int session_open(struct session *s, const struct capture_options *o, unsigned links, struct pcore_filter *filter,
                 struct pcore_filter *exclusion, const char *filter_text, const struct process_choice *processes,
                 struct pcore_error *e) {
  memset(s, 0, sizeof(*s));
  s->options = o;
  s->filter_text = filter_text;
  s->wall_offset_ns = pcore_boot_to_wall_ns();
  s->start_ns = wall_now_ns();
  s->links = links;
  if (write_header(s) != 0) return pcore_fail(e, "E_INTERNAL", ENOMEM, "out of memory");
  static const struct pcore_attribution none = {0};
  const struct pcore_attribution *attribution = processes ? &processes->attribution : &none;
  if (open_capture(s, &attribution, e) != 0 ||
      pcore_capture_configure(s->capture, o->snaplen, o->directions, WAKEUP_BYTES, e) != 0 ||
      (exclusion && (start_filter(s, exclusion, e) != 0 || pcore_capture_use_exclusion(s->capture, e) != 0)) ||
      start_filter(s, filter, e) != 0)
    return session_fall_back(s, e);
  return attribution->enabled ? start_attribution(s, processes, e) : 0;
}

struct known_interface *session_register(struct session *s, const struct pcore_interface *iface,
                                         struct pcore_error *e) {
  int id = find_interface(s, iface->index);
  if (id >= 0) return &s->interfaces[id];
  if (s->ninterfaces == MAX_INTERFACES)
    return pcore_fail(e, "E_ATTACH", 0, "at most %d interfaces per capture", MAX_INTERFACES), NULL;
  struct known_interface *k = &s->interfaces[s->ninterfaces];
  *k = (struct known_interface){.raw_ip = pcore_is_raw_ip(iface->hatype), .loopback = iface->flags & IFF_LOOPBACK};
  snprintf(k->a.name, sizeof(k->a.name), "%s", iface->name);
  k->a.ifindex = iface->index;
  k->a.mode = "";
  if (!s->options->pcap_format) {
    const char *netns = s->options->netns;
    char description[4200];
    snprintf(description, sizeof(description), "%s in %s", iface->name, netns);
    size_t before = s->header.len;
    if (pcore_pcapng_idb(&s->header, k->raw_ip ? PCORE_LINKTYPE_RAW : PCORE_LINKTYPE_ETHERNET, s->options->snaplen,
                         iface->name, *netns ? description : NULL, s->filter_text) != 0)
      return pcore_fail(e, "E_INTERNAL", ENOMEM, "out of memory"), NULL;
    // Readers already served get the new IDB in the stream; later ones get it in the header.
    broadcast(s, s->header.data + before, s->header.len - before, 0);
  }
  s->ninterfaces++;
  return k;
}

void session_add_stream(struct session *s, struct stream_sink *stream) {
  s->stream = stream;
  struct server *server = s->server;
  s->server = NULL;  // the header goes to this sink only
  broadcast(s, s->header.data, s->header.len, 0);
  s->server = server;
}

void session_add_server(struct session *s, struct server *server) {
  server->header = &s->header;
  s->server = server;
}

// On loopback every packet passes egress and then ingress, so one hook sees everything: ingress,
// as libpcap shows loopback traffic.
static uint32_t hooks_of(const struct known_interface *k, uint32_t directions) {
  uint32_t both = (1u << CAP_DIR_IN) | (1u << CAP_DIR_OUT);
  return k->loopback && directions == both ? 1u << CAP_DIR_IN : directions;
}

static void session_detach_hooks(struct session *s, unsigned ifindex) {
  if (s->afpacket)
    pcore_afpacket_detach(s->afpacket, ifindex);
  else
    pcore_capture_detach(s->capture, ifindex);
}

struct known_interface *session_attach(struct session *s, const struct pcore_interface *iface, struct pcore_error *e) {
  struct known_interface *k = session_register(s, iface, e);
  if (!k) return NULL;
  uint32_t hooks = hooks_of(k, s->options->directions);
  for (int direction = CAP_DIR_IN; direction <= CAP_DIR_OUT; direction++) {
    if (!(hooks & (1u << direction))) continue;
    struct pcore_attach_request r = {
        .name = iface->name,
        .netns = *s->options->netns ? s->options->netns : NULL,
        .direction = direction,
        .l2_len = k->raw_ip ? 0 : 14,
        .interface_id = (uint16_t)(k - s->interfaces),
        .force_clsact = s->options->force_clsact,
    };
    unsigned ifindex;
    if (s->afpacket ? pcore_afpacket_attach(s->afpacket, &r, &ifindex, e)
                    : pcore_capture_attach(s->capture, &r, &ifindex, &k->a.mode, e)) {
      session_detach_hooks(s, k->a.ifindex);
      return NULL;
    }
    if (s->afpacket) k->a.mode = AF_PACKET_MODE;
    k->a.ifindex = ifindex;
  }
  k->attached = true;
  return k;
}

void session_detach(struct session *s, unsigned ifindex) {
  int id = find_interface(s, ifindex);
  if (id < 0 || !s->interfaces[id].attached) return;
  session_detach_hooks(s, ifindex);
  s->interfaces[id].attached = false;
}

void session_detach_all(struct session *s) {
  for (size_t i = 0; i < s->ninterfaces; i++) session_detach(s, s->interfaces[i].a.ifindex);
}

void session_start_timers(struct session *s, bool with_stats) {
  uint64_t now = loop_now_ms();
  if (with_stats) s->next_stats_ms = now + STATS_INTERVAL_MS;
  if (!s->options->pcap_format) s->next_isb_ms = now + ISB_INTERVAL_MS;
  if (s->options->duration_ms) s->deadline_ms = now + s->options->duration_ms;
}

#define PRESENCE_INTERVAL_MS 1000

void session_watch_interfaces(struct session *s) {
  s->next_presence_ms = loop_now_ms() + PRESENCE_INTERVAL_MS;
}

// Still there under its name and index, in the capture's namespace (which may be gone too).
static bool interface_present(const struct session *s, const struct known_interface *k) {
  int saved;
  if (pcore_netns_enter(s->options->netns, &saved) != 0) return false;
  char name[IF_NAMESIZE];
  bool present = if_indextoname(k->a.ifindex, name) && strcmp(name, k->a.name) == 0;
  pcore_netns_leave(saved);
  return present;
}

static void check_presence(struct session *s) {
  size_t attached = 0;
  for (size_t i = 0; i < s->ninterfaces; i++) {
    struct known_interface *k = &s->interfaces[i];
    if (!k->attached) continue;
    if (interface_present(s, k)) {
      attached++;
      continue;
    }
    char message[300];
    snprintf(message, sizeof(message), "%s is gone (the interface, or its network namespace, was removed)", k->a.name);
    event_warning("W_INTERFACE_GONE", message);
    session_detach(s, k->a.ifindex);
  }
  if (attached == 0) stop(s, "interfaces-gone");
}

void session_set_filter(void *session, const char *expr) {
  struct session *s = session;
  struct pcore_filter f;
  struct pcore_error e;
  pcore_filter_init(&f);
  char *text = capture_filter_compile(&f, NULL, expr, s->options->exclude, s->links, s->options->snaplen, &e);
  int rc = text ? install_filter(s, &f, text, &e) : -1;
  pcore_filter_free(&f);  // installed programs stay referenced by the program array
  if (rc != 0)
    event_error(e.code, e.message);
  else
    event_filter(text);
  free(text);
}

int session_drain(struct session *s) {
  int records = s->afpacket ? pcore_afpacket_consume(s->afpacket) : pcore_capture_consume(s->capture);
  broadcast_pending(s);
  return records;
}

// Every announced interface, zeros included: the kernel creates an interface's counters with its
// first packet, and an idle interface must still get its statistics block (ISB).
static void interface_stats(struct session *s, struct interface_stats *out, struct totals *t) {
  memset(t, 0, sizeof(*t));
  t->packets = s->packets;
  t->bytes = s->bytes;
  for (size_t i = 0; i < s->ninterfaces; i++) {
    struct cap_stats k;
    if (s->afpacket)
      pcore_afpacket_stats(s->afpacket, (uint16_t)i, &k);
    else
      pcore_capture_stats(s->capture, (uint16_t)i, &k);
    out[i] = (struct interface_stats){
        s->interfaces[i].a.name, s->interfaces[i].a.ifindex, k.seen, k.matched, k.captured, k.dropped};
    t->kernel_dropped += k.dropped;
  }
  t->sink_dropped = (s->stream ? s->stream->ep.dropped : 0) + (s->server ? server_dropped(s->server) : 0);
}

// Interface Statistics Blocks, so the file itself says what was seen, matched and dropped.
static void write_statistics(struct session *s) {
  if (s->options->pcap_format) return;
  struct interface_stats per[MAX_INTERFACES];
  struct totals t;
  interface_stats(s, per, &t);
  uint64_t now = wall_now_ns();
  for (size_t i = 0; i < s->ninterfaces; i++) {
    struct pcore_isb_counters c = {per[i].seen, per[i].matched, per[i].dropped, per[i].captured};
    pcore_pcapng_isb(&s->pending, (uint32_t)i, now, s->start_ns, &c);
  }
  broadcast(s, s->pending.data, s->pending.len, 0);
  s->pending.len = 0;
}

void session_tick(struct session *s) {
  uint64_t now = loop_now_ms();
  if (s->next_stats_ms && now >= s->next_stats_ms) {
    s->next_stats_ms += STATS_INTERVAL_MS;
    struct interface_stats per[MAX_INTERFACES];
    struct totals t;
    interface_stats(s, per, &t);
    event_stats(&t, per, s->ninterfaces);
  }
  if (s->next_isb_ms && now >= s->next_isb_ms) {
    s->next_isb_ms += ISB_INTERVAL_MS;
    write_statistics(s);
  }
  if (s->deadline_ms && now >= s->deadline_ms) stop(s, "duration");
  if (s->next_presence_ms && now >= s->next_presence_ms) {
    s->next_presence_ms += PRESENCE_INTERVAL_MS;
    check_presence(s);
  }
}

void session_close(struct session *s, const char *reason) {
  if (s->capture || s->afpacket) {
    if (s->afpacket)
      pcore_afpacket_detach_all(s->afpacket);
    else
      pcore_capture_detach_all(s->capture);
    session_drain(s);  // what went through the hooks before they were gone
    write_statistics(s);
    if (s->stream) stream_sink_close(s->stream);
    if (s->server) server_close(s->server);
    struct interface_stats per[MAX_INTERFACES];
    struct totals t;
    interface_stats(s, per, &t);
    if (reason) event_stopped(reason, &t);
  }
  pcore_capture_close(s->capture);
  s->capture = NULL;
  pcore_afpacket_close(s->afpacket);
  s->afpacket = NULL;
  pcore_process_cache_free(s->processes);
  s->processes = NULL;
  pcore_buffer_free(&s->pending);
  pcore_buffer_free(&s->header);
}
