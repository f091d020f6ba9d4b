// pcapng block writers (little-endian sections, nanosecond timestamps), laid out exactly as
// packet/pcapng.ts writes them, so a live capture and a file the extension saves read the same.
// Spec: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-03.html
#ifndef PCAP_CORE_PCAPNG_H
#define PCAP_CORE_PCAPNG_H

#include <stdint.h>

#include "buffer.h"

#define PCORE_LINKTYPE_ETHERNET 1
#define PCORE_LINKTYPE_RAW 101
#define PCORE_EPB_FLAGS_INBOUND 1
#define PCORE_EPB_FLAGS_OUTBOUND 2

struct pcore_isb_counters {
  uint64_t recv;      // isb_ifrecv: every packet the hooks saw
  uint64_t accept;    // isb_filteraccept: packets the filter matched
  uint64_t drop;      // isb_ifdrop: matched but lost (ring buffer full)
  uint64_t usrdeliv;  // isb_usrdeliv: captured into this file
};

// Each returns 0, or -1 when out of memory.
int pcore_pcapng_shb(struct pcore_buffer *b, const char *os, const char *application);
// description may be NULL; filter is written as if_filter's string form.
int pcore_pcapng_idb(struct pcore_buffer *b, uint16_t link_type, uint32_t snaplen, const char *name,
                     const char *description, const char *filter);
// An EPB with epb_flags (PCORE_EPB_FLAGS_*) and, unless `comment` is NULL, an opt_comment
// (Wireshark's frame.comment; at most 65535 bytes are kept).
int pcore_pcapng_epb(struct pcore_buffer *b, uint32_t interface_id, uint64_t ts_ns, const uint8_t *data,
                     uint32_t cap_len, uint32_t orig_len, uint32_t flags, const char *comment);
// The bytes pcore_pcapng_epb writes for these arguments.
uint32_t pcore_pcapng_epb_size(uint32_t cap_len, const char *comment);
int pcore_pcapng_isb(struct pcore_buffer *b, uint32_t interface_id, uint64_t now_ns, uint64_t start_ns,
                     const struct pcore_isb_counters *c);

#endif
