#define _GNU_SOURCE  // asprintf, strndup
#include "capture-filter.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../bpf/capture.h"
#include "filter-ebpf.h"
#include "filter-load.h"
#include "filter-text.h"

#define NSLOTS (sizeof(((struct pcore_filter *)0)->fds) / sizeof(int))

_Static_assert(CAP_PROG_FILTER(CAP_DIR_OUT, 1) < 4, "pcore_filter.fds holds every filter slot");

void pcore_filter_init(struct pcore_filter *f) {
  memset(f, 0, sizeof(*f));
  for (size_t i = 0; i < NSLOTS; i++) f->fds[i] = -1;
  f->first_slot = CAP_PROG_FILTER(CAP_DIR_IN, 0);
  f->next_slot = CAP_PROG_EMIT(CAP_DIR_IN);
}

_Static_assert(CAP_PROG_EXCLUDE(CAP_DIR_OUT, 1) - CAP_PROG_EXCLUDE(CAP_DIR_IN, 0) ==
                   CAP_PROG_FILTER(CAP_DIR_OUT, 1) - CAP_PROG_FILTER(CAP_DIR_IN, 0),
               "the exclusion's slots are laid out as the filter's");

void pcore_filter_init_exclusion(struct pcore_filter *f) {
  pcore_filter_init(f);
  f->first_slot = CAP_PROG_EXCLUDE(CAP_DIR_IN, 0);
  f->next_slot = CAP_PROG_PASS(CAP_DIR_IN);
}

static bool blank(const char *expr) {
  return expr[strspn(expr, " \t\r\n")] == 0;
}

int pcore_filter_compile(struct pcore_filter *f, const char *expr, unsigned links, uint32_t snaplen,
                         struct pcore_error *e) {
  return pcore_filter_compile_as(f, "filter", expr, links, snaplen, e);
}

int pcore_filter_compile_as(struct pcore_filter *f, const char *what, const char *expr, unsigned links,
                            uint32_t snaplen, struct pcore_error *e) {
  if (blank(expr)) return 0;
  for (int link = FILTER_LINK_ETHERNET; link <= FILTER_LINK_RAW; link++) {
    if (!(links & (1u << link))) continue;
    char err[FILTER_ERR_SIZE];
    if (filter_compile(expr, (enum filter_link)link, snaplen, 0, &f->cbpf[link], err) != 0) {
      // Raw-IP devices (tun, WireGuard) reject link-layer primitives such as `ether host`.
      const char *where = link == FILTER_LINK_RAW && (links & PCORE_LINK_ETHERNET) ? " (for raw-IP interfaces)" : "";
      return pcore_fail(e, "E_FILTER", EINVAL, "invalid %s%s: %s", what, where, err);
    }
  }
  return 0;
}

static int load_one(struct pcore_filter *f, enum filter_link link, int direction, int progs_fd, struct pcore_error *e) {
  struct filter_hook hook = {
      .direction = direction, .progs_fd = progs_fd, .emit_slot = f->next_slot + (uint32_t)direction};
  struct filter_ebpf prog;
  char err[1024];
  if (filter_translate_for_hook(f->cbpf[link].insns, f->cbpf[link].len, &hook, &prog, err, sizeof(err)) != 0)
    return pcore_fail(e, "E_FILTER", EINVAL, "the filter cannot run in the kernel: %s", err);
  int fd = filter_ebpf_load(&prog, err, sizeof(err));
  filter_ebpf_free(&prog);
  if (fd < 0) return pcore_fail(e, "E_FILTER", -fd, "%s", err);
  f->fds[CAP_PROG_FILTER(direction, link == FILTER_LINK_RAW)] = fd;
  return 0;
}

int pcore_filter_load(struct pcore_filter *f, int progs_fd, struct pcore_error *e) {
  for (int link = FILTER_LINK_ETHERNET; link <= FILTER_LINK_RAW; link++) {
    if (f->cbpf[link].len == 0) continue;
    for (int direction = CAP_DIR_IN; direction <= CAP_DIR_OUT; direction++)
      if (load_one(f, (enum filter_link)link, direction, progs_fd, e) != 0) return -1;
  }
  return 0;
}

int pcore_filter_install(const struct pcore_filter *f, int progs_fd, struct pcore_error *e) {
  for (__u32 i = 0; i < NSLOTS; i++) {
    __u32 slot = f->first_slot + i;
    int rc = f->fds[i] >= 0 ? bpf_map_update_elem(progs_fd, &slot, &f->fds[i], BPF_ANY)
                            : bpf_map_delete_elem(progs_fd, &slot);
    if (rc != 0 && !(f->fds[i] < 0 && errno == ENOENT))
      return pcore_fail_errno(e, "E_INTERNAL", errno, "install the filter in slot %u", slot);
  }
  return 0;
}

void pcore_filter_free(struct pcore_filter *f) {
  for (int link = FILTER_LINK_ETHERNET; link <= FILTER_LINK_RAW; link++) filter_cbpf_free(&f->cbpf[link]);
  for (size_t i = 0; i < NSLOTS; i++)
    if (f->fds[i] >= 0) close(f->fds[i]);
  uint32_t first_slot = f->first_slot, next_slot = f->next_slot;
  pcore_filter_init(f);
  f->first_slot = first_slot;  // still the filter, or still the exclusion
  f->next_slot = next_slot;
}

// ---- a capture's filter and its --exclude, from the user's text

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

// The effective filter's text: FILTER as given without an exclusion (as the user wrote it).
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
