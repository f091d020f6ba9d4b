#define _GNU_SOURCE
#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../core/pcapng.h"
#include "embedded.h"
#include "filter-text.h"
#include "generated.h"

#define WAKEUP_BYTES (256 * 1024)  // pending bytes that wake the reader (the addon's default)

static uint64_t wall_now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void stop(struct session *s, const char *reason) {
  if (!s->stop_reason) s->stop_reason = reason;
}

// Writes what is pending; a reader that went away (EPIPE) ends the capture quietly.
static void flush(struct session *s) {
  size_t off = 0;
  while (off < s->pending.len && s->out_fd >= 0) {
    ssize_t n = write(s->out_fd, s->pending.data + off, s->pending.len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (errno != EPIPE) {
        char message[300];
        snprintf(message, sizeof(message), "output failed: %s", strerror(errno));
        event_error("E_OUTPUT", message);
      }
      s->out_fd = -1;
      stop(s, "output-closed");
      break;
    }
    off += (size_t)n;
  }
  s->bytes += off;
  s->pending.len = 0;
}

static int interface_id(const struct session *s, unsigned ifindex) {
  for (size_t i = 0; i < s->ninterfaces; i++)
    if (s->interfaces[i].ifindex == ifindex) return (int)i;
  return -1;
}

int session_record(void *ctx, const struct cap_record *r, const uint8_t *packet) {
  struct session *s = ctx;
  int id = interface_id(s, r->ifindex);
  // A detached interface's last records, or records past the end of the output or of -c.
  if (id < 0 || s->out_fd < 0 || (s->options->count && s->packets >= s->options->count)) return 0;
  uint32_t flags = r->direction == CAP_DIR_IN ? PCORE_EPB_FLAGS_INBOUND : PCORE_EPB_FLAGS_OUTBOUND;
  if (pcore_pcapng_epb(&s->pending, (uint32_t)id, r->ts_boot_ns + s->wall_offset_ns, packet, r->cap_len, r->orig_len,
                       flags) != 0) {
    stop(s, "error");
    return 0;
  }
  s->packets++;
  if (s->options->count && s->packets >= s->options->count) stop(s, "count");
  return 0;
}

static int write_header(struct session *s, const struct pcore_interface *const *chosen, size_t n) {
  struct utsname u;
  char os[128], application[64];
  uname(&u);
  snprintf(os, sizeof(os), "Linux %s", u.release);
  snprintf(application, sizeof(application), "pcap-agent %s", PCAP_AGENT_VERSION);
  if (pcore_pcapng_shb(&s->pending, os, application) != 0) return -1;
  const char *netns = s->options->netns;
  for (size_t i = 0; i < n; i++) {
    char description[4200];
    snprintf(description, sizeof(description), "%s in %s", chosen[i]->name, netns);
    uint16_t link_type = pcore_is_raw_ip(chosen[i]->hatype) ? PCORE_LINKTYPE_RAW : PCORE_LINKTYPE_ETHERNET;
    if (pcore_pcapng_idb(&s->pending, link_type, s->options->snaplen, chosen[i]->name, *netns ? description : NULL,
                         s->options->filter) != 0)
      return -1;
    struct attached_interface *a = &s->interfaces[s->ninterfaces++];
    snprintf(a->name, sizeof(a->name), "%s", chosen[i]->name);
    a->ifindex = chosen[i]->index;
    a->mode = "";
  }
  flush(s);
  return 0;
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

int session_open(struct session *s, const struct capture_options *o, const struct pcore_interface *const *chosen,
                 size_t n, int out_fd, struct pcore_filter *filter, struct pcore_error *e) {
  memset(s, 0, sizeof(*s));
  s->options = o;
  s->out_fd = out_fd;
  s->wall_offset_ns = pcore_boot_to_wall_ns();
  s->start_ns = wall_now_ns();
  size_t size = (size_t)(capture_bpf_object_end - capture_bpf_object);
  if (pcore_capture_open(capture_bpf_object, size, o->ring_bytes, &s->capture, e) != 0) return -1;
  if (pcore_capture_configure(s->capture, o->snaplen, o->directions, WAKEUP_BYTES, e) != 0) return -1;
  s->links = session_links(chosen, n);
  if (start_filter(s, filter, e) != 0) return -1;
  if (write_header(s, chosen, n) != 0) return pcore_fail(e, "E_INTERNAL", ENOMEM, "out of memory");
  return 0;
}

// On loopback every packet passes egress and then ingress, so one hook sees everything: ingress,
// as libpcap shows loopback traffic.
static uint32_t hooks_of(const struct pcore_interface *iface, uint32_t directions) {
  uint32_t both = (1u << CAP_DIR_IN) | (1u << CAP_DIR_OUT);
  return (iface->flags & IFF_LOOPBACK) && directions == both ? 1u << CAP_DIR_IN : directions;
}

int session_attach(struct session *s, const struct pcore_interface *const *chosen, size_t n, struct pcore_error *e) {
  for (size_t i = 0; i < n; i++) {
    uint32_t hooks = hooks_of(chosen[i], s->options->directions);
    for (int direction = CAP_DIR_IN; direction <= CAP_DIR_OUT; direction++) {
      if (!(hooks & (1u << direction))) continue;
      struct pcore_attach_request r = {
          .name = chosen[i]->name,
          .netns = *s->options->netns ? s->options->netns : NULL,
          .direction = direction,
          .l2_len = pcore_is_raw_ip(chosen[i]->hatype) ? 0 : 14,
          .force_clsact = s->options->force_clsact,
      };
      unsigned ifindex;
      if (pcore_capture_attach(s->capture, &r, &ifindex, &s->interfaces[i].mode, e) != 0) return -1;
      s->interfaces[i].ifindex = ifindex;
    }
  }
  return 0;
}

void session_set_filter(void *session, const char *expr) {
  struct session *s = session;
  struct pcore_filter f;
  struct pcore_error e;
  pcore_filter_init(&f);
  char pca_form[32];
  int rc =
      pcore_filter_compile(&f, filter_expression(expr, pca_form, sizeof(pca_form)), s->links, s->options->snaplen, &e);
  if (rc == 0) rc = start_filter(s, &f, &e);
  pcore_filter_free(&f);  // installed programs stay referenced by the program array
  if (rc != 0) {
    event_error(e.code, e.message);
    return;
  }
  event_filter(expr);
}

void session_drain(struct session *s) {
  pcore_capture_consume(s->capture);
  flush(s);
}

static void interface_stats(struct session *s, struct interface_stats *out, struct totals *t) {
  memset(t, 0, sizeof(*t));
  t->packets = s->packets;
  t->bytes = s->bytes;
  for (size_t i = 0; i < s->ninterfaces; i++) {
    struct cap_stats k;
    pcore_capture_stats(s->capture, s->interfaces[i].ifindex, &k);
    out[i] = (struct interface_stats){
        s->interfaces[i].name, s->interfaces[i].ifindex, k.seen, k.matched, k.captured, k.dropped};
    t->kernel_dropped += k.dropped;
  }
}

void session_stats(struct session *s) {
  struct interface_stats per[MAX_INTERFACES];
  struct totals t;
  interface_stats(s, per, &t);
  event_stats(&t, per, s->ninterfaces);
}

// Interface Statistics Blocks, so the file itself says what was seen, matched and dropped.
static void write_statistics(struct session *s, const struct interface_stats *per) {
  uint64_t now = wall_now_ns();
  for (size_t i = 0; i < s->ninterfaces; i++) {
    struct pcore_isb_counters c = {per[i].seen, per[i].matched, per[i].dropped, per[i].captured};
    pcore_pcapng_isb(&s->pending, (uint32_t)i, now, s->start_ns, &c);
  }
  flush(s);
}

void session_close(struct session *s, const char *reason) {
  if (s->capture) {
    pcore_capture_detach_all(s->capture);
    session_drain(s);  // what went through the hooks before they were gone
    struct interface_stats per[MAX_INTERFACES];
    struct totals t;
    interface_stats(s, per, &t);
    write_statistics(s, per);
    event_stopped(reason, &t);
  }
  pcore_capture_close(s->capture);
  s->capture = NULL;
  pcore_buffer_free(&s->pending);
}
