// Classic pcap writers (little-endian, one link type for the whole file), laid out exactly as
// packet/pcap.ts writes them, so the agent and the extension produce the same bytes.
// Spec: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html
#ifndef PCAP_CORE_PCAP_H
#define PCAP_CORE_PCAP_H

#include <stdbool.h>
#include <stdint.h>

#include "buffer.h"

#define PCORE_PCAP_FILE_HEADER 24
#define PCORE_PCAP_RECORD_HEADER 16
// A raw-IP packet gets a zero-MAC Ethernet header: classic pcap has one link type per file.
#define PCORE_PCAP_ETH_FRAMING 14

// The file header: magic (µs, or ns with `nanoseconds`), version 2.4, snaplen, link type.
int pcore_pcap_header(struct pcore_buffer *b, uint32_t snaplen, uint32_t link_type, bool nanoseconds);
// The bytes pcore_pcap_record writes for a packet of cap_len bytes.
uint32_t pcore_pcap_record_size(uint32_t cap_len, bool raw_ip);
// One record; `raw_ip` packets get the synthetic Ethernet header (its ethertype from the IP version).
int pcore_pcap_record(struct pcore_buffer *b, uint64_t ts_ns, const uint8_t *data, uint32_t cap_len, uint32_t orig_len,
                      bool raw_ip, bool nanoseconds);

#endif
