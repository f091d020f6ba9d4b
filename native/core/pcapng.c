#include "pcapng.h"

#include <string.h>

#define BLOCK_SHB 0x0a0d0d0a
#define BLOCK_IDB 0x00000001
#define BLOCK_ISB 0x00000005
#define BLOCK_EPB 0x00000006
#define BYTE_ORDER_MAGIC 0x1a2b3c4d

#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define MAX_OPTION 65535
#define OPT_SHB_OS 3
#define OPT_SHB_USERAPPL 4
#define OPT_IDB_NAME 2
#define OPT_IDB_DESCRIPTION 3
#define OPT_IDB_TSRESOL 9
#define OPT_IDB_FILTER 11
#define OPT_EPB_FLAGS 2
#define OPT_ISB_STARTTIME 2
#define OPT_ISB_ENDTIME 3
#define OPT_ISB_IFRECV 4
#define OPT_ISB_IFDROP 5
#define OPT_ISB_FILTERACCEPT 6
#define OPT_ISB_USRDELIV 8

#define PAD4(n) (((n) + 3u) & ~3u)

// The section is little-endian whatever the host (arm64 and x86-64 both are; this keeps it so).
static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
// pcapng timestamps are two u32 words, high first, each little-endian.
static void put_timestamp(uint8_t *p, uint64_t ns) {
  put32(p, (uint32_t)(ns >> 32));
  put32(p + 4, (uint32_t)ns);
}
static void put64(uint8_t *p, uint64_t v) {
  put32(p, (uint32_t)v);
  put32(p + 4, (uint32_t)(v >> 32));
}

// Option values are at most 64 KiB; every writer here stays far below.
static int option(struct pcore_buffer *b, uint16_t code, const void *value, size_t len) {
  uint8_t *p = pcore_buffer_grow(b, 4 + PAD4(len));
  if (!p) return -1;
  put16(p, code);
  put16(p + 2, (uint16_t)len);
  if (len) memcpy(p + 4, value, len);
  return 0;
}

static int string_option(struct pcore_buffer *b, uint16_t code, const char *s) {
  return option(b, code, s, strlen(s));
}

static int u64_option(struct pcore_buffer *b, uint16_t code, uint64_t v) {
  uint8_t raw[8];
  put64(raw, v);
  return option(b, code, raw, sizeof(raw));
}

static int timestamp_option(struct pcore_buffer *b, uint16_t code, uint64_t ns) {
  uint8_t raw[8];
  put_timestamp(raw, ns);
  return option(b, code, raw, sizeof(raw));
}

// Starts a block of `fixed` bytes (type and length included); returns its offset, or -1.
static long begin_block(struct pcore_buffer *b, uint32_t type, size_t fixed) {
  size_t start = b->len;
  uint8_t *p = pcore_buffer_grow(b, fixed);
  if (!p) return -1;
  put32(p, type);
  return (long)start;
}

// Ends the option list (when there is one) and frames the block with its total length.
static int end_block(struct pcore_buffer *b, long start, int has_options) {
  if (has_options && option(b, OPT_ENDOFOPT, NULL, 0) != 0) return -1;
  if (!pcore_buffer_grow(b, 4)) return -1;
  uint32_t total = (uint32_t)(b->len - (size_t)start);
  put32(b->data + start + 4, total);
  put32(b->data + b->len - 4, total);
  return 0;
}

int pcore_pcapng_shb(struct pcore_buffer *b, const char *os, const char *application) {
  long start = begin_block(b, BLOCK_SHB, 24);
  if (start < 0) return -1;
  uint8_t *p = b->data + start;
  put32(p + 8, BYTE_ORDER_MAGIC);
  put16(p + 12, 1);
  put16(p + 14, 0);
  // -1: section length not specified, so blocks can be streamed before the total is known.
  put32(p + 16, 0xffffffffu);
  put32(p + 20, 0xffffffffu);
  if (string_option(b, OPT_SHB_OS, os) || string_option(b, OPT_SHB_USERAPPL, application)) return -1;
  return end_block(b, start, 1);
}

int pcore_pcapng_idb(struct pcore_buffer *b, uint16_t link_type, uint32_t snaplen, const char *name,
                     const char *description, const char *filter) {
  long start = begin_block(b, BLOCK_IDB, 16);
  if (start < 0) return -1;
  put16(b->data + start + 8, link_type);
  put32(b->data + start + 12, snaplen);
  const uint8_t nanoseconds = 9;
  if (string_option(b, OPT_IDB_NAME, name)) return -1;
  if (description && string_option(b, OPT_IDB_DESCRIPTION, description)) return -1;
  if (option(b, OPT_IDB_TSRESOL, &nanoseconds, 1)) return -1;
  // if_filter: a leading 0 byte says "filter expression string".
  size_t len = strlen(filter);
  uint8_t *value = pcore_buffer_grow(b, 4 + PAD4(len + 1));
  if (!value) return -1;
  put16(value, OPT_IDB_FILTER);
  put16(value + 2, (uint16_t)(len + 1));
  memcpy(value + 5, filter, len);
  return end_block(b, start, 1);
}

static uint32_t comment_length(const char *comment) {
  size_t len = comment ? strlen(comment) : 0;
  return len > MAX_OPTION ? MAX_OPTION : (uint32_t)len;
}

uint32_t pcore_pcapng_epb_size(uint32_t cap_len, const char *comment) {
  uint32_t comment_option = comment ? 4 + PAD4(comment_length(comment)) : 0;
  return 28 + PAD4(cap_len) + comment_option + 12 + 4;  // header, data, options, epb_flags + opt_endofopt, trailer
}

int pcore_pcapng_epb(struct pcore_buffer *b, uint32_t interface_id, uint64_t ts_ns, const uint8_t *data,
                     uint32_t cap_len, uint32_t orig_len, uint32_t flags, const char *comment) {
  size_t start = b->len;
  uint32_t total = pcore_pcapng_epb_size(cap_len, comment);
  uint8_t *p = pcore_buffer_grow(b, total);
  if (!p) return -1;
  put32(p, BLOCK_EPB);
  put32(p + 4, total);
  put32(p + 8, interface_id);
  put_timestamp(p + 12, ts_ns);
  put32(p + 20, cap_len);
  put32(p + 24, orig_len);
  memcpy(p + 28, data, cap_len);
  uint8_t *opt = p + 28 + PAD4(cap_len);
  if (comment) {
    uint32_t len = comment_length(comment);
    put16(opt, OPT_COMMENT);
    put16(opt + 2, (uint16_t)len);
    memcpy(opt + 4, comment, len);
    opt += 4 + PAD4(len);
  }
  put16(opt, OPT_EPB_FLAGS);
  put16(opt + 2, 4);
  put32(opt + 4, flags);
  put32(b->data + start + total - 4, total);
  return 0;
}

int pcore_pcapng_isb(struct pcore_buffer *b, uint32_t interface_id, uint64_t now_ns, uint64_t start_ns,
                     const struct pcore_isb_counters *c) {
  long start = begin_block(b, BLOCK_ISB, 20);
  if (start < 0) return -1;
  put32(b->data + start + 8, interface_id);
  put_timestamp(b->data + start + 12, now_ns);
  if (timestamp_option(b, OPT_ISB_STARTTIME, start_ns) || timestamp_option(b, OPT_ISB_ENDTIME, now_ns) ||
      u64_option(b, OPT_ISB_IFRECV, c->recv) || u64_option(b, OPT_ISB_IFDROP, c->drop) ||
      u64_option(b, OPT_ISB_FILTERACCEPT, c->accept) || u64_option(b, OPT_ISB_USRDELIV, c->usrdeliv))
    return -1;
  return end_block(b, start, 1);
}
