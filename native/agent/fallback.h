// Where eBPF cannot be used (no CAP_BPF/CAP_SYS_ADMIN, a kernel without BPF ring buffers or BTF,
// lockdown), a session captures with libpcap's AF_PACKET instead (native/core/afpacket.h): same
// filter, same output, interfaces in mode "af_packet", and a W_AF_PACKET warning that says why.
#ifndef PCAP_AGENT_FALLBACK_H
#define PCAP_AGENT_FALLBACK_H

#include "../core/error.h"

struct session;

#define AF_PACKET_MODE "af_packet"

// Called with the error of loading the BPF object (the session's capture is still open, or
// NULL). For a privilege or kernel-support failure, closes it and opens the AF_PACKET capture
// instead, then warns; returns 0. Otherwise, or when AF_PACKET cannot capture either (no
// CAP_NET_RAW), returns -1 with `e` the load error, to which the second case adds why.
int session_fall_back(struct session *s, struct pcore_error *e);

// The AF_PACKET capture's filter from the effective filter's text (a PROTO,PORT form read as the
// agent reads -f), at open and at each set-filter; a refused one leaves the old filter in place.
int session_fallback_set_filter(struct session *s, const char *text, struct pcore_error *e);

#endif
