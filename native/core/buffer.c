#include "buffer.h"

#include <stdlib.h>
#include <string.h>

uint8_t *pcore_buffer_grow(struct pcore_buffer *b, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    uint8_t *data = realloc(b->data, cap);
    if (!data) return NULL;
    b->data = data;
    b->cap = cap;
  }
  uint8_t *at = b->data + b->len;
  memset(at, 0, n);
  b->len += n;
  return at;
}

void pcore_buffer_free(struct pcore_buffer *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
