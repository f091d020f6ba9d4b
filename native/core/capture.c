#define _GNU_SOURCE
#include "capture.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"
#include "processes.h"
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
#define MAX_ATTRIBUTION_LINKS 16

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
  bool processes;  // records carry CAP_RECORD_TGID
  int pids, tasks, sockets, listeners;
  struct bpf_link *attribution_links[MAX_ATTRIBUTION_LINKS];
  int nattribution_links;
};

// The programs of bpf/process.bpf.h, with the hook each needs from the kernel; `fork`: only for
// --pid and --container, which follow forks.
static const struct attribution_program {
  const char *name;
  const char *hook;
  bool fork;
} ATTRIBUTION_PROGRAMS[] = {
    {"cap_sock_create", "cgroup/sock_create", false},
    {"cap_post_bind4", "cgroup/post_bind4", false},
    {"cap_post_bind6", "cgroup/post_bind6", false},
    {"cap_connect4", "cgroup/connect4", false},
    {"cap_connect6", "cgroup/connect6", false},
    {"cap_sendmsg4", "cgroup/sendmsg4", false},
    {"cap_sendmsg6", "cgroup/sendmsg6", false},
    {"cap_recvmsg4", "cgroup/recvmsg4", false},
    {"cap_recvmsg6", "cgroup/recvmsg6", false},
    {"cap_sock_ops", "sock_ops (cgroup)", false},
    {"cap_process_fork", "raw tracepoint sched_process_fork", true},
};
#define NATTRIBUTION_PROGRAMS (sizeof(ATTRIBUTION_PROGRAMS) / sizeof(*ATTRIBUTION_PROGRAMS))

// The program libbpf last failed to load, so that an error can name the kernel feature it needs.
static char failed_program[64];

// libbpf writes its warnings to stderr, where the agent's events go: the failing call's errno
// says what went wrong instead; only the name of a program the kernel refused is kept.
static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list args) {
  (void)level;
  if (strstr(fmt, "prog '%s': BPF program load failed") || strstr(fmt, "prog '%s': failed to load")) {
    va_list copy;
    va_copy(copy, args);
    snprintf(failed_program, sizeof(failed_program), "%s", va_arg(copy, const char *));
    va_end(copy);
  }
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

// A `const volatile` global of the object (its .rodata), set before load: found by name in the BTF.
static int set_rodata(struct bpf_object *obj, const char *name, const void *value, size_t size) {
  struct bpf_map *rodata = bpf_object__find_map_by_name(obj, ".rodata");
  const struct btf *btf = bpf_object__btf(obj);
  int sec = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -1;
  if (!rodata || sec < 0) return -ENOENT;
  size_t data_size;
  const void *initial = bpf_map__initial_value(rodata, &data_size);
  const struct btf_type *t = btf__type_by_id(btf, (__u32)sec);
  const struct btf_var_secinfo *v = btf_var_secinfos(t);
  for (int i = 0; i < btf_vlen(t); i++, v++) {
    const char *var = btf__name_by_offset(btf, btf__type_by_id(btf, v->type)->name_off);
    if (strcmp(var, name) != 0) continue;
    if (!initial || v->size != size || v->offset + size > data_size) return -EINVAL;
    uint8_t *data = malloc(data_size);  // libbpf 1.1 hands the initial value out read-only
    if (!data) return -ENOMEM;
    memcpy(data, initial, data_size);
    memcpy(data + v->offset, value, size);
    int err = bpf_map__set_initial_value(rodata, data, data_size);
    free(data);
    return err;
  }
  return -ENOENT;
}

static bool is_attribution_program(const char *name, const struct attribution_program **out) {
  for (size_t i = 0; i < NATTRIBUTION_PROGRAMS; i++)
    if (strcmp(ATTRIBUTION_PROGRAMS[i].name, name) == 0) {
      if (out) *out = &ATTRIBUTION_PROGRAMS[i];
      return true;
    }
  return false;
}

// Before load: the switches of bpf/process.bpf.h, and its programs and maps only when used (a
// capture without attribution loads none of its hooks and sizes its maps to one entry).
static int configure_attribution(struct pcore_capture *c, const struct pcore_attribution *a, struct pcore_error *e) {
  uint8_t enabled = a->enabled, only_selected = a->only_selected;
  if (set_rodata(c->obj, "cap_with_processes", &enabled, 1) ||
      set_rodata(c->obj, "cap_only_selected", &only_selected, 1) ||
      set_rodata(c->obj, "cap_cgroup_id", &a->cgroup_id, 8) ||
      set_rodata(c->obj, "cap_cgroup_level", &a->cgroup_level, 4))
    return pcore_fail(e, "E_INTERNAL", EINVAL, "the BPF object lacks its attribution settings");
  c->processes = a->enabled;
  for (size_t i = 0; i < NATTRIBUTION_PROGRAMS; i++) {
    const struct attribution_program *p = &ATTRIBUTION_PROGRAMS[i];
    bool used = a->enabled && (!p->fork || a->only_selected);
    bpf_program__set_autoload(bpf_object__find_program_by_name(c->obj, p->name), used);
  }
  if (!a->enabled) {
    static const char *const maps[] = {"cap_listeners", "cap_tasks", "cap_pids"};
    for (size_t i = 0; i < sizeof(maps) / sizeof(*maps); i++)
      bpf_map__set_max_entries(bpf_object__find_map_by_name(c->obj, maps[i]), 1);
  }
  return 0;
}

// The attribution hooks, as links on the cgroup v2 root (every process is below it).
static int attach_attribution(struct pcore_capture *c, bool only_selected, struct pcore_error *e) {
  int cgroup = pcore_cgroup2_open(e);
  if (cgroup < 0) return -1;
  int rc = 0;
  for (size_t i = 0; i < NATTRIBUTION_PROGRAMS && rc == 0; i++) {
    const struct attribution_program *p = &ATTRIBUTION_PROGRAMS[i];
    if (p->fork && !only_selected) continue;
    struct bpf_program *prog = bpf_object__find_program_by_name(c->obj, p->name);
    struct bpf_link *link = p->fork ? bpf_program__attach(prog) : bpf_program__attach_cgroup(prog, cgroup);
    if (!link) {
      rc = pcore_fail(e, "E_NO_ATTRIBUTION", errno,
                      "process attribution needs the kernel's %s hook, and attaching %s failed (%s); capture without "
                      "--processes, --pid, --cgroup or --container works on this host",
                      p->hook, p->name, strerror(errno));
      break;
    }
    c->attribution_links[c->nattribution_links++] = link;
  }
  close(cgroup);
  return rc;
}

// A load failure of an attribution program names the hook this kernel lacks.
static int load_failed(struct pcore_capture *c, int err, struct pcore_error *e) {
  const struct attribution_program *p;
  if (c->processes && is_attribution_program(failed_program, &p))
    return pcore_fail(e, "E_NO_ATTRIBUTION", -err,
                      "process attribution needs the kernel's %s hook, and it refused %s (%s); capture without "
                      "--processes, --pid, --cgroup or --container works on this host",
                      p->hook, p->name, strerror(-err));
  return pcore_fail_errno(e, "E_NO_BPF", -err, "load BPF programs");
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

int pcore_capture_open(const void *object, size_t size, uint32_t ring_bytes,
                       const struct pcore_attribution *attribution, struct pcore_capture **out, struct pcore_error *e) {
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
  if (size_maps(c, ring_bytes, e) != 0 || configure_attribution(c, attribution, e) != 0) {
    pcore_capture_close(c);
    return -1;
  }
  failed_program[0] = 0;
  int err = load_without_signals(c->obj);
  if (err) {
    load_failed(c, err, e);
    pcore_capture_close(c);
    return -1;
  }
  c->ingress = prog_fd(c->obj, "cap_pcap_ingress");
  c->egress = prog_fd(c->obj, "cap_pcap_egress");
  c->config = map_fd(c->obj, "cap_config_map");
  c->ifaces = map_fd(c->obj, "cap_ifaces");
  c->stats = map_fd(c->obj, "cap_stats_map");
  c->progs = map_fd(c->obj, "cap_progs");
  c->pids = map_fd(c->obj, "cap_pids");
  c->tasks = map_fd(c->obj, "cap_tasks");
  c->sockets = map_fd(c->obj, "cap_sockets");
  c->listeners = map_fd(c->obj, "cap_listeners");
  if (install_emit_programs(c, e) != 0 || (c->processes && attach_attribution(c, attribution->only_selected, e) != 0)) {
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
  uint32_t header = c->processes ? CAP_RECORD_HEADER_PROCESSES : CAP_RECORD_HEADER;
  if (size < header) return 0;
  uint16_t iface_dir;
  struct pcore_packet p = {.cap_len = size - header};
  memcpy(&iface_dir, record + CAP_RECORD_IFACE_DIR, sizeof(iface_dir));
  memcpy(&p.orig_len, record + CAP_RECORD_ORIG_LEN, sizeof(p.orig_len));
  memcpy(&p.ts_boot_ns, record + CAP_RECORD_TS, sizeof(p.ts_boot_ns));
  if (c->processes) memcpy(&p.tgid, record + CAP_RECORD_TGID, sizeof(p.tgid));
  p.interface_id = iface_dir >> 1;
  p.direction = iface_dir & 1;
  return c->on_record(c->ctx, &p, record + header);
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

int pcore_capture_select_process(struct pcore_capture *c, uint32_t tgid, struct pcore_error *e) {
  uint8_t one = 1;
  if (bpf_map_update_elem(c->pids, &tgid, &one, BPF_ANY) != 0)
    return pcore_fail_errno(e, "E_INTERNAL", errno, "choose process %u", tgid);
  return 0;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

// A listening TCP socket's accepted connections are its process's (cap_listeners, as post_bind).
static void adopt_listener(struct pcore_capture *c, int fd, const struct cap_process *p) {
  int listening = 0, protocol = 0;
  socklen_t len = sizeof(int);
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) return;
  len = sizeof(int);
  if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0 || protocol != IPPROTO_TCP) return;
  struct cap_listener_key key = {0};
  struct sockaddr_storage local;
  socklen_t local_len = sizeof(local);
  len = sizeof(key.netns_cookie);
  if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &key.netns_cookie, &len) != 0 ||
      getsockname(fd, (struct sockaddr *)&local, &local_len) != 0)
    return;
  key.port = ntohs(local.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&local)->sin6_port
                                               : ((struct sockaddr_in *)&local)->sin_port);
  bpf_map_update_elem(c->listeners, &key, p, BPF_NOEXIST);
}

int pcore_capture_adopt_socket(struct pcore_capture *c, int fd, const struct cap_process *p) {
  int domain = 0;
  socklen_t len = sizeof(domain);
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || (domain != AF_INET && domain != AF_INET6)) return 0;
  // EEXIST: a hook saw it first, and knows better.
  bpf_map_update_elem(c->sockets, &fd, p, BPF_NOEXIST);
  bpf_map_update_elem(c->tasks, &p->tgid, p, BPF_NOEXIST);
  adopt_listener(c, fd, p);
  return 0;
}

int pcore_capture_process_name(struct pcore_capture *c, uint32_t tgid, char name[CAP_COMM_LEN]) {
  struct cap_process p;
  if (bpf_map_lookup_elem(c->tasks, &tgid, &p) != 0) return -1;
  memcpy(name, p.comm, CAP_COMM_LEN);
  name[CAP_COMM_LEN - 1] = 0;
  return 0;
}

void pcore_capture_close(struct pcore_capture *c) {
  if (!c) return;
  while (c->nattribution_links > 0) bpf_link__destroy(c->attribution_links[--c->nattribution_links]);
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
