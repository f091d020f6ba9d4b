#include "filter-text.h"

#include <string.h>

#include "pca-filter.h"

// No tcpdump expression holds a comma, so one means the PROTO,PORT form.
const char *filter_expression(const char *text, char *buf, size_t size, struct pcore_error *e) {
  if (!strchr(text, ',')) return text;
  char why[400];
  if (pca_filter_expression(text, buf, size, why, sizeof(why)) != 0) {
    pcore_fail(e, "E_FILTER", 0, "invalid filter: %s", why);
    return NULL;
  }
  return buf;
}
