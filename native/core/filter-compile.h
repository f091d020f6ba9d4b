// A tcpdump filter expression compiled to classic BPF by libpcap.
// Kept apart from filter-ebpf.h: <pcap/bpf.h> and <linux/bpf.h> each define a different
// struct bpf_insn, so no file may include both. The program is handed over as struct sock_filter,
// the kernel's name for the same {code, jt, jf, k} layout.
#ifndef CAPTURE_CORE_FILTER_COMPILE_H
#define CAPTURE_CORE_FILTER_COMPILE_H

#include <linux/filter.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// What the filter's offsets count from: Ethernet devices and lo start at the MAC header
// (libpcap's DLT_EN10MB); devices without a link header start at the IP header (DLT_RAW).
enum filter_link { FILTER_LINK_ETHERNET, FILTER_LINK_RAW };

struct filter_cbpf {
  struct sock_filter *insns;  // owned; release with filter_cbpf_free
  unsigned int len;
};

// Room for libpcap's longest message (PCAP_ERRBUF_SIZE).
#define FILTER_ERR_SIZE 256

// Compiles `expr` with libpcap's optimizer for `link`; the match value of every accepting return
// is `snaplen`. `netmask` is the interface's IPv4 netmask as pcap_lookupnet gives it, only used by
// "ip broadcast"; 0 when there is none, as tcpdump passes then (and for `-r`).
// Returns 0, or -1 with libpcap's own message in `err` (for example "syntax error"). A filter
// libpcap's optimizer proves can never match ("expression rejects all packets") is refused as
// tcpdump refuses it: the user learns at once that the filter is wrong, instead of a silent capture.
int filter_compile(const char *expr, enum filter_link link, unsigned int snaplen, unsigned int netmask,
                   struct filter_cbpf *out, char err[FILTER_ERR_SIZE]);

void filter_cbpf_free(struct filter_cbpf *prog);

#ifdef __cplusplus
}
#endif

#endif
