#define _GNU_SOURCE  // asprintf, strndup
#include "filter-text.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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

static bool blank(const char *text) {
  return text[strspn(text, " \t\r\n")] == 0;
}

// `text` as an expression without its surrounding blanks, in a malloc'd string; NULL with `e`.
static char *trimmed_expression(const char *text, struct pcore_error *e) {
  char pca_form[32];
  const char *expr = filter_expression(text, pca_form, sizeof(pca_form), e);
  if (!expr) return NULL;
  expr += strspn(expr, " \t\r\n");
  size_t len = strlen(expr);
  while (len > 0 && strchr(" \t\r\n", expr[len - 1])) len--;
  char *copy = strndup(expr, len);
  if (!copy) pcore_fail(e, "E_INTERNAL", ENOMEM, "out of memory");
  return copy;
}

// Compiles one part alone, only to check it: libpcap's message then names the part at fault.
static int check_part(const char *what, const char *expr, unsigned links, uint32_t snaplen, struct pcore_error *e) {
  struct pcore_filter f;
  pcore_filter_init(&f);
  int rc = pcore_filter_compile_as(&f, what, expr, links, snaplen, e);
  pcore_filter_free(&f);
  return rc;
}

// The effective filter's text: FILTER as given without an exclusion (as the Node agent shows it).
static char *effective_text(const char *filter, const char *exclude, struct pcore_error *e) {
  if (blank(exclude)) {
    char *copy = strdup(filter);
    if (!copy) pcore_fail(e, "E_INTERNAL", ENOMEM, "out of memory");
    return copy;
  }
  char *excluded = trimmed_expression(exclude, e);
  char *kept = excluded && !blank(filter) ? trimmed_expression(filter, e) : NULL;
  char *text = NULL;
  if (excluded && (kept || blank(filter)) &&
      (kept ? asprintf(&text, "(%s) and not (%s)", kept, excluded) : asprintf(&text, "not (%s)", excluded)) < 0) {
    text = NULL;
    pcore_fail(e, "E_INTERNAL", ENOMEM, "out of memory");
  }
  free(excluded);
  free(kept);
  return text;
}

// The exclusion alone, then compiled as `not (EXCLUDE)` into `exclusion` when not NULL. The
// exclusion is its own program: what it matches is never captured, and a fragment series follows
// its first fragment (bpf/capture.bpf.c), which one combined expression could not do.
static int compile_exclusion(struct pcore_filter *exclusion, const char *exclude, unsigned links, uint32_t snaplen,
                             struct pcore_error *e) {
  if (blank(exclude)) return 0;
  char *expression = trimmed_expression(exclude, e);
  char *negated = NULL;
  int rc = expression ? check_part("--exclude filter", expression, links, snaplen, e) : -1;
  if (rc == 0 && exclusion) {
    rc = asprintf(&negated, "not (%s)", expression) < 0
             ? pcore_fail(e, "E_INTERNAL", ENOMEM, "out of memory")
             : pcore_filter_compile_as(exclusion, "--exclude filter", negated, links, snaplen, e);
  }
  free(expression);
  free(negated);
  return rc;
}

char *capture_filter_compile(struct pcore_filter *f, struct pcore_filter *exclusion, const char *filter,
                             const char *exclude, unsigned links, uint32_t snaplen, struct pcore_error *e) {
  char pca_form[32];
  if (compile_exclusion(exclusion, exclude, links, snaplen, e) != 0) return NULL;
  const char *expr = filter_expression(filter, pca_form, sizeof(pca_form), e);
  if (!expr || pcore_filter_compile(f, expr, links, snaplen, e) != 0) return NULL;
  return effective_text(filter, exclude, e);
}
