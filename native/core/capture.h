// One loaded capture BPF object (bpf/capture.bpf.c): configure it, attach its programs to
// interfaces (tcx, or clsact where tcx is missing), drain its ring buffer, read its counters.
#ifndef PCAP_CORE_CAPTURE_H
#define PCAP_CORE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../bpf/capture.h"
#include "error.h"

struct pcore_capture;

// One captured packet, from the ring buffer or an AF_PACKET socket; its cap_len bytes are handed
// on beside it.
struct pcore_packet {
  uint64_t ts_boot_ns;    // CLOCK_BOOTTIME
  uint32_t orig_len;      // on the wire
  uint32_t cap_len;       // captured
  uint16_t interface_id;  // as attached (pcore_attach_request)
  uint8_t direction;      // CAP_DIR_*
  uint32_t tgid;          // with attribution on: the process the packet belongs to; 0 for none
};

// Called for each packet. Return 0 to go on.
typedef int (*pcore_record_fn)(void *ctx, const struct pcore_packet *packet, const uint8_t *bytes);

// Process attribution (bpf/process.bpf.h): the socket hooks on the cgroup v2 root, and which
// processes a capture keeps.
struct pcore_attribution {
  bool enabled;           // records carry their packet's process
  bool only_selected;     // only the processes chosen (pcore_capture_select_process, or the cgroup below)
  uint64_t cgroup_id;     // a cgroup v2 whose processes (its descendants' too) are chosen; 0: none
  uint32_t cgroup_level;  // its depth below the cgroup v2 root
};

// Opens and loads the BPF object held in memory (`object`, `size`) with a ring of `ring_bytes`
// (a power of two of at least a page). With attribution enabled, its socket hooks are loaded and
// attached to the cgroup v2 root as BPF links (gone with the process); a kernel without one of
// them fails with E_NO_ATTRIBUTION, naming the hook.
int pcore_capture_open(const void *object, size_t size, uint32_t ring_bytes,
                       const struct pcore_attribution *attribution, struct pcore_capture **out, struct pcore_error *e);

// Chooses a process (and, through the fork hook, the processes it forks from now on).
int pcore_capture_select_process(struct pcore_capture *c, uint32_t tgid, struct pcore_error *e);

// A socket made before the capture started (a duplicate of it: pcore_each_socket) becomes `p`'s,
// unless a hook gave it a process already; a listening TCP socket's accepted connections too.
int pcore_capture_adopt_socket(struct pcore_capture *c, int fd, const struct cap_process *p);

// The name the kernel gave a process when one of its sockets was last seen (comm, NUL-terminated);
// -1 when it has none.
int pcore_capture_process_name(struct pcore_capture *c, uint32_t tgid, char name[CAP_COMM_LEN]);

// The live settings: snaplen 1..CAP_MAX_SNAPLEN; directions: bits (1 << CAP_DIR_*); pending
// bytes that wake the reader. Until a filter is installed (capture-filter.h) every packet matches.
int pcore_capture_configure(struct pcore_capture *c, uint32_t snaplen, uint32_t directions, uint32_t wakeup_bytes,
                            struct pcore_error *e);

struct pcore_attach_request {
  const char *name;
  const char *netns;      // NULL: this namespace
  int direction;          // CAP_DIR_IN or CAP_DIR_OUT
  uint32_t l2_len;        // 14 for Ethernet-like devices, 0 for raw IP
  uint16_t interface_id;  // 0..CAP_MAX_IFACES-1: the caller's number for the interface, which its packets and
                          // counters carry (one per interface, both directions)
  bool force_clsact;
};

// Attaches one hook; *ifindex and *mode ("tcx" or "clsact") say where and how.
int pcore_capture_attach(struct pcore_capture *c, const struct pcore_attach_request *r, unsigned *ifindex,
                         const char **mode, struct pcore_error *e);

// Detaches every hook, newest first (a qdisc we created goes after both its filters).
void pcore_capture_detach_all(struct pcore_capture *c);
// Detaches the hooks on one interface (e.g. a PCA capture whose last client left, or an
// interface that disappeared), newest first.
void pcore_capture_detach(struct pcore_capture *c, unsigned ifindex);

// Records go to `fn` from pcore_capture_consume. Returns an fd (the ring's, still the capture's)
// that is readable (epoll) when the kernel wakes the reader.
int pcore_capture_start(struct pcore_capture *c, pcore_record_fn fn, void *ctx, struct pcore_error *e);

// Hands every record in the ring to the callback; returns how many, or a negative errno.
int pcore_capture_consume(struct pcore_capture *c);

// The counters of one interface (its interface_id), summed over CPUs (zeros before its first packet).
void pcore_capture_stats(struct pcore_capture *c, uint16_t interface_id, struct cap_stats *sum);

// Detaches what is still attached, frees everything.
void pcore_capture_close(struct pcore_capture *c);

// The cap_progs program array, where capture-filter.h installs filters.
int pcore_capture_progs_fd(const struct pcore_capture *c);

// Puts the exclusion's entry programs in front of the filter (capture.h, CAP_PROG_EXCLUSION), for a
// capture with --exclude; without them the hooks go straight to the filter, at no cost.
int pcore_capture_use_exclusion(struct pcore_capture *c, struct pcore_error *e);

// CLOCK_REALTIME - CLOCK_BOOTTIME in ns: added to record times (boot time) for Unix time.
uint64_t pcore_boot_to_wall_ns(void);

#endif
