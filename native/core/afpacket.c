#define _GNU_SOURCE
#include "afpacket.h"

#include <errno.h>
#include <linux/filter.h>  // struct sock_fprog; struct sock_filter has bpf_insn's layout (filter-compile.c)
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns.h"

// A flood never keeps one consume call forever: the loop comes back to its timers and signals.
#define MAX_PER_CONSUME 65536

struct handle {
  pcap_t *p;  // NULL once detached; the entry keeps its counters for statistics
  unsigned ifindex;
  uint16_t interface_id;  // pcore_attach_request's
  int direction;          // CAP_DIR_*
  uint64_t captured, captured_bytes;
  uint64_t recv_before, drop_before;  // what earlier handles of this entry counted before they were detached
  struct pcap_stat at_start;          // what the open handle counted before its filter (discarded)
  struct pcap_pkthdr *head;           // the oldest packet read and not yet handed on (pcap_next_ex)
  const uint8_t *head_data;
};

struct pcore_afpacket {
  uint32_t snaplen, buffer_bytes;
  uint64_t boot_to_wall_ns;
  char *expr;
  struct handle *handles;
  size_t nhandles;
  int epoll_fd;
  pcore_record_fn fn;
  void *ctx;
};

int pcore_afpacket_open(uint32_t snaplen, uint32_t buffer_bytes, uint64_t boot_to_wall_ns, struct pcore_afpacket **out,
                        struct pcore_error *e) {
  struct pcore_afpacket *a = calloc(1, sizeof(*a));
  if (!a) return pcore_fail(e, "E_INTERNAL", ENOMEM, "out of memory");
  *a = (struct pcore_afpacket){.snaplen = snaplen, .buffer_bytes = buffer_bytes, .boot_to_wall_ns = boot_to_wall_ns};
  a->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (a->epoll_fd < 0) {
    int err = errno;
    free(a);
    return pcore_fail_errno(e, "E_INTERNAL", err, "set up the AF_PACKET capture");
  }
  *out = a;
  return 0;
}

// The user's expression compiled on the live handle, as tcpdump compiles it (the kernel's VLAN
// extensions included), restricted to the handle's direction: on a live Linux handle libpcap
// compiles `inbound`/`outbound` to a test of the socket's packet type.
static int compile_for(pcap_t *p, const char *expr, int direction, struct bpf_program *prog, struct pcore_error *e) {
  const char *side = direction == CAP_DIR_IN ? "inbound" : "outbound";
  char *text = NULL;
  int len = expr && *expr ? asprintf(&text, "(%s) and %s", expr, side) : asprintf(&text, "%s", side);
  if (len < 0) return pcore_fail(e, "E_INTERNAL", ENOMEM, "out of memory");
  int rc = pcap_compile(p, prog, text, 1, PCAP_NETMASK_UNKNOWN);
  free(text);
  return rc == 0 ? 0 : pcore_fail(e, "E_FILTER", 0, "%s", pcap_geterr(p));
}

// Straight into the socket, not through pcap_setfilter: after a change libpcap filters the ring's
// next block in user space, where the packet type is unknown and `inbound`/`outbound` never match
// (a packet lost per change). One setsockopt swaps the socket's filter atomically instead: packets
// already in the ring passed the old one, later ones meet the new one.
static int install(pcap_t *p, struct bpf_program *prog, struct pcore_error *e) {
  struct sock_fprog program = {.len = (unsigned short)prog->bf_len, .filter = (struct sock_filter *)prog->bf_insns};
  int rc = prog->bf_len > BPF_MAXINSNS
               ? (errno = E2BIG, -1)
               : setsockopt(pcap_fileno(p), SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program));
  int err = errno;
  pcap_freecode(prog);
  return rc == 0 ? 0 : pcore_fail_errno(e, "E_FILTER", err, "the kernel refused the AF_PACKET filter");
}

int pcore_afpacket_set_filter(struct pcore_afpacket *a, const char *expr, struct pcore_error *e) {
  char *copy = strdup(expr ? expr : "");
  if (!copy) return pcore_fail(e, "E_INTERNAL", ENOMEM, "out of memory");
  // Every open handle compiles first, so a refusal changes nothing.
  struct bpf_program *progs = calloc(a->nhandles + 1, sizeof(*progs));
  size_t compiled = 0;
  int rc = progs ? 0 : pcore_fail(e, "E_INTERNAL", ENOMEM, "out of memory");
  for (; rc == 0 && compiled < a->nhandles; compiled++) {
    struct handle *h = &a->handles[compiled];
    if (h->p) rc = compile_for(h->p, copy, h->direction, &progs[compiled], e);
    if (rc != 0) break;
  }
  for (size_t i = 0; i < compiled; i++) {
    struct handle *h = &a->handles[i];
    if (!h->p) continue;
    if (rc == 0)
      rc = install(h->p, &progs[i], e);
    else
      pcap_freecode(&progs[i]);
  }
  free(progs);
  if (rc != 0) {
    free(copy);
    return -1;
  }
  free(a->expr);
  a->expr = copy;
  return 0;
}

static int activate_error(pcap_t *p, int rc, const char *name, struct pcore_error *e) {
  const char *why = pcap_geterr(p);
  if (rc == PCAP_ERROR_PERM_DENIED)
    return pcore_fail(e, "E_PRIVILEGE", EPERM, "AF_PACKET capture on %s: %s", name, why);
  if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
    return pcore_fail(e, "E_NO_INTERFACE", ENODEV, "AF_PACKET capture on %s: %s", name, why);
  return pcore_fail(e, "E_ATTACH", 0, "AF_PACKET capture on %s: %s", name, *why ? why : pcap_statustostr(rc));
}

// A handle as the ring-buffer path sees packets: not promiscuous (tc hooks see what the stack
// gets), every packet as soon as it arrives (immediate mode), nanosecond stamps.
static pcap_t *activate(struct pcore_afpacket *a, const struct pcore_attach_request *r, struct pcore_error *e) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_create(r->name, err);
  if (!p) return pcore_fail(e, "E_ATTACH", 0, "AF_PACKET capture on %s: %s", r->name, err), NULL;
  pcap_set_snaplen(p, (int)a->snaplen);
  pcap_set_promisc(p, 0);
  pcap_set_immediate_mode(p, 1);
  pcap_set_buffer_size(p, (int)a->buffer_bytes);
  pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
  int rc = pcap_activate(p);  // > 0: a warning (e.g. no such time stamp type), the handle works
  if (rc < 0) {
    activate_error(p, rc, r->name, e);
    pcap_close(p);
    return NULL;
  }
  int expected = r->l2_len ? DLT_EN10MB : DLT_RAW;
  if (pcap_datalink(p) != expected) {
    pcore_fail(e, "E_ATTACH", 0, "AF_PACKET capture on %s: link type %s, expected %s", r->name,
               pcap_datalink_val_to_name(pcap_datalink(p)), pcap_datalink_val_to_name(expected));
    pcap_close(p);
    return NULL;
  }
  return p;
}

// The socket is made in the namespace it captures in, as tcx links are.
static pcap_t *open_in_netns(struct pcore_afpacket *a, const struct pcore_attach_request *r, unsigned *ifindex,
                             struct pcore_error *e) {
  int saved;
  int err = pcore_netns_enter(r->netns, &saved);
  if (err) return pcore_fail_errno(e, "E_NO_NETNS", err, "enter network namespace %s", r->netns), NULL;
  pcap_t *p = activate(a, r, e);
  *ifindex = p ? if_nametoindex(r->name) : 0;
  pcore_netns_leave(saved);
  return p;
}

// The entry of this interface and direction: a detached one is reused (its counters go on).
static struct handle *handle_for(struct pcore_afpacket *a, unsigned ifindex, int direction) {
  for (size_t i = 0; i < a->nhandles; i++)
    if (a->handles[i].ifindex == ifindex && a->handles[i].direction == direction) return &a->handles[i];
  struct handle *more = realloc(a->handles, (a->nhandles + 1) * sizeof(*more));
  if (!more) return NULL;
  a->handles = more;
  struct handle *h = &a->handles[a->nhandles++];
  *h = (struct handle){.ifindex = ifindex, .direction = direction};
  return h;
}

static int watch(struct pcore_afpacket *a, struct handle *h, struct pcore_error *e) {
  char err[PCAP_ERRBUF_SIZE];
  if (pcap_setnonblock(h->p, 1, err) != 0) return pcore_fail(e, "E_ATTACH", 0, "AF_PACKET capture: %s", err);
  int fd = pcap_get_selectable_fd(h->p);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  if (fd < 0 || epoll_ctl(a->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0)
    return pcore_fail_errno(e, "E_INTERNAL", errno, "watch the AF_PACKET socket");
  return 0;
}

// libpcap's totals since the handle opened (it sums the kernel's counters, which reset on reading).
static struct pcap_stat live_counters(struct handle *h) {
  struct pcap_stat st = {0};
  if (!h->p || pcap_stats(h->p, &st) != 0) return (struct pcap_stat){0};
  st.ps_recv -= h->at_start.ps_recv;
  st.ps_drop -= h->at_start.ps_drop;
  return st;
}

static void discard(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  (void)user;
  (void)h;
  (void)bytes;
}

// The socket took every packet from its activation until its filter was set: those leave the
// ring unread and uncounted. (One that passed the filter just before the counters were read is
// counted as matched and never captured: a window of microseconds, before the capture starts.)
static void forget_before_filter(struct handle *h) {
  if (pcap_stats(h->p, &h->at_start) != 0) h->at_start = (struct pcap_stat){0};
  while (pcap_dispatch(h->p, -1, discard, NULL) > 0) continue;
}

static void close_handle(struct pcore_afpacket *a, struct handle *h) {
  if (!h->p) return;
  struct pcap_stat st = live_counters(h);
  h->recv_before += st.ps_recv;
  h->drop_before += st.ps_drop;
  epoll_ctl(a->epoll_fd, EPOLL_CTL_DEL, pcap_get_selectable_fd(h->p), NULL);
  pcap_close(h->p);
  h->p = NULL;
  h->head = NULL;
}

int pcore_afpacket_attach(struct pcore_afpacket *a, const struct pcore_attach_request *r, unsigned *ifindex,
                          struct pcore_error *e) {
  pcap_t *p = open_in_netns(a, r, ifindex, e);
  if (!p) return -1;
  struct bpf_program prog;
  struct handle *h = NULL;
  if (compile_for(p, a->expr, r->direction, &prog, e) == 0 && install(p, &prog, e) == 0) {
    h = handle_for(a, *ifindex, r->direction);
    if (h) h->interface_id = r->interface_id;
    if (!h) pcore_fail(e, "E_INTERNAL", ENOMEM, "out of memory");
  }
  if (!h || h->p) {  // a second attach of one hook is refused, as tcx refuses it
    if (h) pcore_fail(e, "E_ATTACH", EEXIST, "%s is already captured in this direction", r->name);
    pcap_close(p);
    return -1;
  }
  h->p = p;
  if (watch(a, h, e) != 0) {
    close_handle(a, h);
    return -1;
  }
  forget_before_filter(h);
  return 0;
}

int pcore_afpacket_start(struct pcore_afpacket *a, pcore_record_fn fn, void *ctx, struct pcore_error *e) {
  (void)e;
  a->fn = fn;
  a->ctx = ctx;
  return a->epoll_fd;
}

static uint64_t stamp_ns(const struct pcap_pkthdr *h) {
  return (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;  // tv_usec holds ns (NANO precision)
}

// The handle's oldest unread packet, read now if needed; false when it has none.
static bool peek(struct handle *h) {
  if (!h->p) return false;
  if (!h->head && pcap_next_ex(h->p, &h->head, &h->head_data) != 1) h->head = NULL;
  return h->head != NULL;
}

static void hand_on(struct pcore_afpacket *a, struct handle *h) {
  struct pcore_packet r = {
      .ts_boot_ns = stamp_ns(h->head) - a->boot_to_wall_ns,
      .orig_len = h->head->len,
      .cap_len = h->head->caplen,
      .interface_id = h->interface_id,
      .direction = (uint8_t)h->direction,
  };
  h->captured++;
  h->captured_bytes += r.cap_len;
  h->head = NULL;
  if (a->fn) a->fn(a->ctx, &r, h->head_data);
}

static int consume_handles(struct pcore_afpacket *a, struct handle *only) {
  int n = 0;
  while (n < MAX_PER_CONSUME) {
    struct handle *oldest = NULL;
    for (size_t i = 0; i < a->nhandles; i++) {
      struct handle *h = &a->handles[i];
      if ((!only || h == only) && peek(h) && (!oldest || stamp_ns(h->head) < stamp_ns(oldest->head))) oldest = h;
    }
    if (!oldest) break;
    hand_on(a, oldest);
    n++;
  }
  return n;
}

int pcore_afpacket_consume(struct pcore_afpacket *a) {
  return consume_handles(a, NULL);
}

void pcore_afpacket_detach(struct pcore_afpacket *a, unsigned ifindex) {
  for (size_t i = 0; i < a->nhandles; i++) {
    struct handle *h = &a->handles[i];
    if (h->ifindex != ifindex || !h->p) continue;
    consume_handles(a, h);
    close_handle(a, h);
  }
}

void pcore_afpacket_detach_all(struct pcore_afpacket *a) {
  consume_handles(a, NULL);
  for (size_t i = 0; i < a->nhandles; i++) close_handle(a, &a->handles[i]);
}

void pcore_afpacket_stats(struct pcore_afpacket *a, uint16_t interface_id, struct cap_stats *sum) {
  memset(sum, 0, sizeof(*sum));
  for (size_t i = 0; i < a->nhandles; i++) {
    struct handle *h = &a->handles[i];
    if (h->interface_id != interface_id) continue;
    struct pcap_stat st = live_counters(h);
    sum->seen += h->recv_before + st.ps_recv;
    sum->matched += h->recv_before + st.ps_recv;
    sum->dropped += h->drop_before + st.ps_drop;
    sum->captured += h->captured;
    sum->captured_bytes += h->captured_bytes;
  }
}

void pcore_afpacket_close(struct pcore_afpacket *a) {
  if (!a) return;
  for (size_t i = 0; i < a->nhandles; i++) close_handle(a, &a->handles[i]);
  if (a->epoll_fd >= 0) close(a->epoll_fd);
  free(a->handles);
  free(a->expr);
  free(a);
}
