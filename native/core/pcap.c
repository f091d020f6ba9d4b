#include "pcap.h"

#include <string.h>

#define MAGIC_MICROSECONDS 0xa1b2c3d4u
#define MAGIC_NANOSECONDS 0xa1b23c4du

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

int pcore_pcap_header(struct pcore_buffer *b, uint32_t snaplen, uint32_t link_type, bool nanoseconds) {
  uint8_t *p = pcore_buffer_grow(b, PCORE_PCAP_FILE_HEADER);
  if (!p) return -1;
  put32(p, nanoseconds ? MAGIC_NANOSECONDS : MAGIC_MICROSECONDS);
  put16(p + 4, 2);
  put16(p + 6, 4);
  // thiszone and sigfigs stay 0
  put32(p + 16, snaplen);
  put32(p + 20, link_type);
  return 0;
}

uint32_t pcore_pcap_record_size(uint32_t cap_len, bool raw_ip) {
  return PCORE_PCAP_RECORD_HEADER + cap_len + (raw_ip ? PCORE_PCAP_ETH_FRAMING : 0);
}

int pcore_pcap_record(struct pcore_buffer *b, uint64_t ts_ns, const uint8_t *data, uint32_t cap_len, uint32_t orig_len,
                      bool raw_ip, bool nanoseconds) {
  uint32_t framing = raw_ip ? PCORE_PCAP_ETH_FRAMING : 0;
  uint8_t *p = pcore_buffer_grow(b, pcore_pcap_record_size(cap_len, raw_ip));
  if (!p) return -1;
  uint64_t fraction = ts_ns % 1000000000ull;
  put32(p, (uint32_t)(ts_ns / 1000000000ull));
  put32(p + 4, (uint32_t)(nanoseconds ? fraction : fraction / 1000));
  put32(p + 8, cap_len + framing);
  put32(p + 12, orig_len + framing);
  if (raw_ip) {
    // Zero MAC addresses, then the ethertype (big-endian) from the IP version nibble.
    uint16_t ethertype = cap_len > 0 && data[0] >> 4 == 6 ? 0x86dd : 0x0800;
    p[PCORE_PCAP_RECORD_HEADER + 12] = (uint8_t)(ethertype >> 8);
    p[PCORE_PCAP_RECORD_HEADER + 13] = (uint8_t)ethertype;
  }
  if (cap_len) memcpy(p + PCORE_PCAP_RECORD_HEADER + framing, data, cap_len);
  return 0;
}
