// A growable byte buffer: blocks are assembled here, then written out with one write(2).
#ifndef PCAP_CORE_BUFFER_H
#define PCAP_CORE_BUFFER_H

#include <stddef.h>
#include <stdint.h>

struct pcore_buffer {
  uint8_t *data;
  size_t len, cap;
};

// Room for `n` more bytes; returns where they go (zeroed), or NULL when out of memory.
uint8_t *pcore_buffer_grow(struct pcore_buffer *b, size_t n);
void pcore_buffer_free(struct pcore_buffer *b);

#endif
