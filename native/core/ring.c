#include "ring.h"

#include <errno.h>
#include <linux/bpf.h>
#include <sys/mman.h>
#include <unistd.h>

// Records reserved and not yet submitted carry the busy bit; discarded ones the discard bit.
#define RECORD_FLAGS (BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)

int pcore_ring_open(struct pcore_ring *r, int map_fd, uint32_t data_size) {
  *r = (struct pcore_ring){.map_fd = map_fd, .page_size = (size_t)sysconf(_SC_PAGESIZE), .mask = data_size - 1};
  // The kernel's layout: the consumer page, then the producer page and the data, mapped twice.
  void *consumer = mmap(NULL, r->page_size, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
  if (consumer == MAP_FAILED) return -errno;
  r->data_map_size = r->page_size + 2 * (size_t)data_size;
  void *producer = mmap(NULL, r->data_map_size, PROT_READ, MAP_SHARED, map_fd, (off_t)r->page_size);
  if (producer == MAP_FAILED) {
    int err = errno;
    munmap(consumer, r->page_size);
    return -err;
  }
  r->consumer_pos = consumer;
  r->producer_pos = producer;
  r->data = (const uint8_t *)producer + r->page_size;
  return 0;
}

static uint32_t padded(uint32_t len) {
  return (len + BPF_RINGBUF_HDR_SZ + 7u) & ~7u;
}

int pcore_ring_consume(struct pcore_ring *r, pcore_ring_fn fn, void *ctx) {
  if (!r->consumer_pos) return 0;
  unsigned long start = *r->consumer_pos;  // only this reader writes it
  unsigned long pos = start;
  unsigned long end = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
  int handed = 0;
  while (pos < end) {
    const uint32_t *header = (const uint32_t *)(r->data + (pos & r->mask));
    uint32_t len = __atomic_load_n(header, __ATOMIC_ACQUIRE);
    if (len & BPF_RINGBUF_BUSY_BIT) break;  // records are read in order: wait for this one
    pos += padded(len & ~RECORD_FLAGS);
    if (len & BPF_RINGBUF_DISCARD_BIT) continue;
    handed++;
    if (fn(ctx, (const uint8_t *)header + BPF_RINGBUF_HDR_SZ, len & ~RECORD_FLAGS) != 0) break;
    // What arrived meanwhile joins the batch, up to one ring's worth, so a flood cannot keep the
    // caller here (nor keep the room it read from the producers for long).
    if (pos == end && pos - start <= r->mask) end = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
  }
  if (pos != start) __atomic_store_n(r->consumer_pos, pos, __ATOMIC_RELEASE);
  return handed;
}

void pcore_ring_close(struct pcore_ring *r) {
  if (r->consumer_pos) munmap(r->consumer_pos, r->page_size);
  if (r->producer_pos) munmap((void *)r->producer_pos, r->data_map_size);
  r->consumer_pos = NULL;
  r->producer_pos = NULL;
}
