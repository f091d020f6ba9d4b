// Capture without eBPF: libpcap's AF_PACKET capture, for where the BPF object cannot load (no
// CAP_BPF/CAP_SYS_ADMIN, a kernel without ring buffers or BTF, lockdown). It needs only CAP_NET_RAW,
// as in a container under Pod Security "baseline".
//
// It mirrors capture.h, so a session drives either the same way: one "hook" is one libpcap handle
// for one interface and one direction (pcap_setdirection: libpcap's packet header has no
// direction, so each handle keeps one), records go to the same pcore_record_fn, and
// pcore_afpacket_start gives one descriptor for an epoll loop.
#ifndef PCAP_CORE_AFPACKET_H
#define PCAP_CORE_AFPACKET_H

#include <stdint.h>

#include "capture.h"
#include "error.h"

struct pcore_afpacket;

// `buffer_bytes`: each handle's ring (tcpdump's -B is per handle too). Records carry boot-time
// stamps like the ring buffer's: libpcap's wall-clock stamp minus `boot_to_wall_ns`, the offset
// the caller adds back (pcore_boot_to_wall_ns), so the caller's conversion gives libpcap's time.
int pcore_afpacket_open(uint32_t snaplen, uint32_t buffer_bytes, uint64_t boot_to_wall_ns, struct pcore_afpacket **out,
                        struct pcore_error *e);

// The tcpdump expression of every handle, open or opened later ("" or NULL: everything). libpcap
// compiles it on each live handle, as tcpdump does; when one handle refuses it, every handle keeps
// its old filter and the error is E_FILTER with libpcap's message.
int pcore_afpacket_set_filter(struct pcore_afpacket *a, const char *expr, struct pcore_error *e);

// Opens the handle of one interface and direction (r->l2_len says the link type it must have;
// r->force_clsact does not apply). *ifindex: the interface's index in its namespace.
int pcore_afpacket_attach(struct pcore_afpacket *a, const struct pcore_attach_request *r, unsigned *ifindex,
                          struct pcore_error *e);

// Hands what the interface's handles still hold to the callback, keeps their counters, closes them.
void pcore_afpacket_detach(struct pcore_afpacket *a, unsigned ifindex);
void pcore_afpacket_detach_all(struct pcore_afpacket *a);

// Records go to `fn` from pcore_afpacket_consume. Returns an epoll descriptor, readable when a
// handle has packets.
int pcore_afpacket_start(struct pcore_afpacket *a, pcore_record_fn fn, void *ctx, struct pcore_error *e);

// Hands the packets every handle holds to the callback, oldest first across handles (so the two
// directions interleave as on the wire); returns how many.
int pcore_afpacket_consume(struct pcore_afpacket *a);

// One interface's counters (its interface_id), closed handles included: seen and matched are the packets its filters
// passed (libpcap's ps_recv: a socket filter counts nothing else), dropped is ps_drop (ring full).
void pcore_afpacket_stats(struct pcore_afpacket *a, uint16_t interface_id, struct cap_stats *sum);

void pcore_afpacket_close(struct pcore_afpacket *a);

#endif
