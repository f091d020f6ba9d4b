// The reading side of a BPF ring buffer map (BPF_MAP_TYPE_RINGBUF), mapped into this process.
//
// libbpf's reader publishes its position to the kernel after every record, and every producer
// reads that position on every reservation: under a flood each record moved its cache line between
// the reader's CPU and the sender's. This reader publishes it once per batch.
#ifndef PCAP_CORE_RING_H
#define PCAP_CORE_RING_H

#include <stddef.h>
#include <stdint.h>

struct pcore_ring {
  int map_fd;
  size_t page_size;
  uint64_t mask;                      // data size - 1 (a power of two)
  unsigned long *consumer_pos;        // ours to write (a page mapped read-write)
  const unsigned long *producer_pos;  // the kernel's (read-only)
  const uint8_t *data;                // mapped twice in a row, so no record wraps
  size_t data_map_size;
};

// Called with each record's bytes and length; return nonzero to stop the batch there.
typedef int (*pcore_ring_fn)(void *ctx, const uint8_t *record, uint32_t len);

// Maps the ring of `map_fd` (which stays the caller's: poll it for the kernel's wakeups).
// Returns 0, or a negative errno.
int pcore_ring_open(struct pcore_ring *r, int map_fd, uint32_t data_size);

// Hands every complete record to `fn`, oldest first, then tells the kernel their room is free;
// returns how many were handed on.
int pcore_ring_consume(struct pcore_ring *r, pcore_ring_fn fn, void *ctx);

void pcore_ring_close(struct pcore_ring *r);

#endif
