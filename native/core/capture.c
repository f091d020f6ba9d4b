#define _GNU_SOURCE
#include "capture.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"
#include "ring.h"

// Debian's 6.1 UAPI headers predate tcx.
#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif

// clsact fallback: a fixed handle and priority mark our filters, so a restart replaces its own
// (the same values as the addon's, so either agent replaces the other's leftovers).
#define TC_HANDLE 0x70ca
#define TC_PRIORITY 0xca70
#define MAX_ATTACHMENTS 256

struct attachment {
  char netns[256];
  unsigned ifindex;
  int direction;
  int link_fd;  // tcx link; -1 when attached through clsact
  bool created_qdisc;
};

struct pcore_capture {
  struct bpf_object *obj;
  int ingress, egress, config, ifaces, stats, progs;
  struct bpf_map *ring_map;
  struct pcore_ring ring;
  pcore_record_fn on_record;
  void *ctx;
  int cpus;
  struct attachment attachments[MAX_ATTACHMENTS];
  int nattachments;
};

// libbpf writes its warnings to stderr, where the agent's events go: the failing call's errno
// says what went wrong instead.
static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list args) {
  (void)level;
  (void)fmt;
  (void)args;
  return 0;
}

static int map_fd(struct bpf_object *obj, const char *name) {
  return bpf_map__fd(bpf_object__find_map_by_name(obj, name));
}

static int prog_fd(struct bpf_object *obj, const char *name) {
  return bpf_program__fd(bpf_object__find_program_by_name(obj, name));
}

// The verifier gives up with EAGAIN when a signal is pending: keep signals away while it runs.
static int load_without_signals(struct bpf_object *obj) {
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  int err = bpf_object__load(obj);
  pthread_sigmask(SIG_SETMASK, &previous, NULL);
  return err;
}

struct slot_program {
  __u32 slot;
  const char *name;
};

static int install_programs(struct pcore_capture *c, const struct slot_program *programs, size_t n,
                            struct pcore_error *e) {
  for (size_t i = 0; i < n; i++) {
    int fd = prog_fd(c->obj, programs[i].name);
    if (bpf_map_update_elem(c->progs, &programs[i].slot, &fd, BPF_ANY) != 0)
      return pcore_fail_errno(e, "E_INTERNAL", errno, "install %s", programs[i].name);
  }
  return 0;
}

// The programs the translated filters hand packets on to: a filter's matches to the emit programs,
// what the exclusion lets through to the pass programs (capture.h).
static int install_emit_programs(struct pcore_capture *c, struct pcore_error *e) {
  static const struct slot_program programs[] = {{CAP_PROG_EMIT(CAP_DIR_IN), "cap_pcap_emit_in"},
                                                 {CAP_PROG_EMIT(CAP_DIR_OUT), "cap_pcap_emit_out"},
                                                 {CAP_PROG_PASS(CAP_DIR_IN), "cap_pcap_pass_in"},
                                                 {CAP_PROG_PASS(CAP_DIR_OUT), "cap_pcap_pass_out"}};
  return install_programs(c, programs, sizeof(programs) / sizeof(*programs), e);
}

int pcore_capture_use_exclusion(struct pcore_capture *c, struct pcore_error *e) {
  static const struct slot_program programs[] = {{CAP_PROG_EXCLUSION(CAP_DIR_IN), "cap_pcap_exclude_in"},
                                                 {CAP_PROG_EXCLUSION(CAP_DIR_OUT), "cap_pcap_exclude_out"}};
  return install_programs(c, programs, sizeof(programs) / sizeof(*programs), e);
}

static int size_maps(struct pcore_capture *c, uint32_t ring_bytes, struct pcore_error *e) {
  int cpus = libbpf_num_possible_cpus();
  c->cpus = cpus > 0 ? cpus : 1;
  bpf_map__set_max_entries(bpf_object__find_map_by_name(c->obj, "cap_scratch_map"), (uint32_t)c->cpus);
  c->ring_map = bpf_object__find_map_by_name(c->obj, "cap_ring");
  int err = bpf_map__set_max_entries(c->ring_map, ring_bytes);
  if (err) return pcore_fail_errno(e, "E_INTERNAL", -err, "size ring buffer to %u bytes", ring_bytes);
  return 0;
}

int pcore_capture_open(const void *object, size_t size, uint32_t ring_bytes, struct pcore_capture **out,
                       struct pcore_error *e) {
  libbpf_set_print(quiet_libbpf);
  struct pcore_capture *c = calloc(1, sizeof(*c));
  if (!c) return pcore_fail(e, "E_INTERNAL", ENOMEM, "out of memory");
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "capture");
  c->obj = bpf_object__open_mem(object, size, &opts);
  if (!c->obj) {
    int err = errno;
    free(c);
    return pcore_fail_errno(e, "E_ADDON", err, "open the embedded BPF object");
  }
  if (size_maps(c, ring_bytes, e) != 0) {
    pcore_capture_close(c);
    return -1;
  }
  int err = load_without_signals(c->obj);
  if (err) {
    pcore_fail_errno(e, "E_NO_BPF", -err, "load BPF programs");
    pcore_capture_close(c);
    return -1;
  }
  c->ingress = prog_fd(c->obj, "cap_pcap_ingress");
  c->egress = prog_fd(c->obj, "cap_pcap_egress");
  c->config = map_fd(c->obj, "cap_config_map");
  c->ifaces = map_fd(c->obj, "cap_ifaces");
  c->stats = map_fd(c->obj, "cap_stats_map");
  c->progs = map_fd(c->obj, "cap_progs");
  if (install_emit_programs(c, e) != 0) {
    pcore_capture_close(c);
    return -1;
  }
  *out = c;
  return 0;
}

int pcore_capture_configure(struct pcore_capture *c, uint32_t snaplen, uint32_t directions, uint32_t wakeup_bytes,
                            struct pcore_error *e) {
  if (snaplen == 0 || snaplen > CAP_MAX_SNAPLEN)
    return pcore_fail(e, "E_USAGE", EINVAL, "snaplen must be 1..%u", CAP_MAX_SNAPLEN);
  __u32 key = 0;
  struct cap_config cfg;
  if (bpf_map_lookup_elem(c->config, &key, &cfg) != 0)
    return pcore_fail_errno(e, "E_INTERNAL", errno, "read capture config");
  cfg.snaplen = snaplen;
  cfg.directions = directions;
  cfg.wakeup_bytes = wakeup_bytes;
  if (bpf_map_update_elem(c->config, &key, &cfg, BPF_ANY) != 0)
    return pcore_fail_errno(e, "E_INTERNAL", errno, "write capture config");
  return 0;
}

static enum bpf_tc_attach_point tc_point(int direction) {
  return direction == CAP_DIR_IN ? BPF_TC_INGRESS : BPF_TC_EGRESS;
}

static int attach_tc(unsigned ifindex, int direction, int prog, bool *created_qdisc) {
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex, .attach_point = tc_point(direction));
  int err = bpf_tc_hook_create(&hook);
  if (err && err != -EEXIST) return -err;
  *created_qdisc = err == 0;
  LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog, .flags = BPF_TC_F_REPLACE, .handle = TC_HANDLE,
              .priority = TC_PRIORITY);
  err = bpf_tc_attach(&hook, &opts);
  return err ? -err : 0;
}

// Removes our filter (fixed handle and priority) from one clsact hook, if there is one.
static void detach_tc_filter(unsigned ifindex, int direction) {
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex, .attach_point = tc_point(direction));
  LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIORITY);
  bpf_tc_detach(&hook, &opts);
}

static bool holds_clsact(const struct pcore_capture *c, unsigned ifindex, int direction) {
  for (int i = 0; i < c->nattachments; i++) {
    const struct attachment *a = &c->attachments[i];
    if (a->ifindex == ifindex && a->direction == direction && a->link_fd < 0) return true;
  }
  return false;
}

// In the interface's namespace: tcx first, clsact when the kernel has no tcx (< 6.6) or when asked.
static int attach_here(struct pcore_capture *c, const struct pcore_attach_request *r, struct attachment *a,
                       const char *what, struct pcore_error *e) {
  a->ifindex = if_nametoindex(r->name);
  if (a->ifindex == 0) return pcore_fail_errno(e, "E_ATTACH", errno, "%s", what);
  if (r->interface_id >= CAP_MAX_IFACES)
    return pcore_fail(e, "E_ATTACH", 0, "%s: at most %d interfaces", what, CAP_MAX_IFACES);
  struct cap_iface iface = {.l2_len = r->l2_len, .id = r->interface_id};
  if (bpf_map_update_elem(c->ifaces, &a->ifindex, &iface, BPF_ANY) != 0)
    return pcore_fail_errno(e, "E_ATTACH", errno, "%s", what);
  int prog = r->direction == CAP_DIR_IN ? c->ingress : c->egress;
  if (!r->force_clsact) {
    enum bpf_attach_type type = (enum bpf_attach_type)(r->direction == CAP_DIR_IN ? BPF_TCX_INGRESS : BPF_TCX_EGRESS);
    a->link_fd = bpf_link_create(prog, (int)a->ifindex, type, NULL);
    if (a->link_fd >= 0) return 0;
    if (errno != EINVAL) return pcore_fail_errno(e, "E_ATTACH", errno, "%s", what);
  }
  int err = attach_tc(a->ifindex, r->direction, prog, &a->created_qdisc);
  if (err) return pcore_fail_errno(e, "E_ATTACH", err, "%s (clsact)", what);
  // clsact filters outlive a killed agent: one of ours on the other hook would keep running into
  // a ring nobody reads, so remove it, unless this capture holds that hook.
  int other = r->direction == CAP_DIR_IN ? CAP_DIR_OUT : CAP_DIR_IN;
  if (!holds_clsact(c, a->ifindex, other)) detach_tc_filter(a->ifindex, other);
  return 0;
}

int pcore_capture_attach(struct pcore_capture *c, const struct pcore_attach_request *r, unsigned *ifindex,
                         const char **mode, struct pcore_error *e) {
  char what[128];
  snprintf(what, sizeof(what), "attach to %s %s", r->name, r->direction == CAP_DIR_IN ? "ingress" : "egress");
  if (c->nattachments == MAX_ATTACHMENTS)
    return pcore_fail(e, "E_ATTACH", 0, "%s: at most %d hooks per capture", what, MAX_ATTACHMENTS);
  struct attachment a = {.direction = r->direction, .link_fd = -1};
  snprintf(a.netns, sizeof(a.netns), "%s", r->netns ? r->netns : "");
  int saved;
  int err = pcore_netns_enter(r->netns, &saved);
  if (err) return pcore_fail_errno(e, "E_NO_NETNS", err, "enter network namespace %s", r->netns);
  int rc = attach_here(c, r, &a, what, e);
  pcore_netns_leave(saved);
  if (rc != 0) return rc;
  c->attachments[c->nattachments++] = a;
  *ifindex = a.ifindex;
  *mode = a.link_fd >= 0 ? "tcx" : "clsact";
  return 0;
}

static void detach_one(const struct attachment *a) {
  if (a->link_fd >= 0) {
    close(a->link_fd);
    return;
  }
  int saved;
  if (pcore_netns_enter(a->netns, &saved) != 0) return;
  detach_tc_filter(a->ifindex, a->direction);
  // Only a qdisc we created is ours to remove; destroying it removes both directions.
  if (a->created_qdisc) {
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)a->ifindex,
                .attach_point = (enum bpf_tc_attach_point)(BPF_TC_INGRESS | BPF_TC_EGRESS));
    bpf_tc_hook_destroy(&hook);
  }
  pcore_netns_leave(saved);
}

void pcore_capture_detach_all(struct pcore_capture *c) {
  while (c->nattachments > 0) detach_one(&c->attachments[--c->nattachments]);
}

void pcore_capture_detach(struct pcore_capture *c, unsigned ifindex) {
  for (int i = c->nattachments - 1; i >= 0; i--) {
    if (c->attachments[i].ifindex != ifindex) continue;
    detach_one(&c->attachments[i]);
    memmove(&c->attachments[i], &c->attachments[i + 1], (size_t)(c->nattachments - i - 1) * sizeof(*c->attachments));
    c->nattachments--;
  }
}

static int on_ring_record(void *ctx, const uint8_t *record, uint32_t size) {
  struct pcore_capture *c = ctx;
  if (size < CAP_RECORD_HEADER) return 0;
  uint16_t iface_dir;
  struct pcore_packet p = {.cap_len = (uint32_t)(size - CAP_RECORD_HEADER)};
  memcpy(&iface_dir, record + CAP_RECORD_IFACE_DIR, sizeof(iface_dir));
  memcpy(&p.orig_len, record + CAP_RECORD_ORIG_LEN, sizeof(p.orig_len));
  memcpy(&p.ts_boot_ns, record + CAP_RECORD_TS, sizeof(p.ts_boot_ns));
  p.interface_id = iface_dir >> 1;
  p.direction = iface_dir & 1;
  return c->on_record(c->ctx, &p, record + CAP_RECORD_HEADER);
}

int pcore_capture_start(struct pcore_capture *c, pcore_record_fn fn, void *ctx, struct pcore_error *e) {
  c->on_record = fn;
  c->ctx = ctx;
  int fd = bpf_map__fd(c->ring_map);
  int err = pcore_ring_open(&c->ring, fd, bpf_map__max_entries(c->ring_map));
  if (err) return pcore_fail_errno(e, "E_INTERNAL", -err, "map the ring buffer");
  return fd;
}

int pcore_capture_consume(struct pcore_capture *c) {
  return pcore_ring_consume(&c->ring, on_ring_record, c);
}

void pcore_capture_stats(struct pcore_capture *c, uint16_t interface_id, struct cap_stats *sum) {
  memset(sum, 0, sizeof(*sum));
  struct cap_stats *per_cpu = calloc((size_t)c->cpus, sizeof(*per_cpu));
  __u32 key = interface_id;
  if (per_cpu && bpf_map_lookup_elem(c->stats, &key, per_cpu) == 0) {
    for (int i = 0; i < c->cpus; i++) {
      sum->seen += per_cpu[i].seen;
      sum->matched += per_cpu[i].matched;
      sum->captured += per_cpu[i].captured;
      sum->dropped += per_cpu[i].dropped;
      sum->captured_bytes += per_cpu[i].captured_bytes;
    }
  }
  free(per_cpu);
}

void pcore_capture_close(struct pcore_capture *c) {
  if (!c) return;
  pcore_capture_detach_all(c);
  pcore_ring_close(&c->ring);
  bpf_object__close(c->obj);
  free(c);
}

int pcore_capture_progs_fd(const struct pcore_capture *c) {
  return c->progs;
}

uint64_t pcore_boot_to_wall_ns(void) {
  struct timespec real, boot;
  clock_gettime(CLOCK_BOOTTIME, &boot);
  clock_gettime(CLOCK_REALTIME, &real);
  return (uint64_t)(real.tv_sec - boot.tv_sec) * 1000000000ull + (uint64_t)real.tv_nsec - (uint64_t)boot.tv_nsec;
}
