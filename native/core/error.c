#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void format_into(struct pcore_error *e, const char *fmt, va_list args) {
  vsnprintf(e->message, sizeof(e->message), fmt, args);
}

int pcore_fail(struct pcore_error *e, const char *code, int err, const char *fmt, ...) {
  if (!e) return -1;
  e->code = code;
  e->err = err;
  va_list args;
  va_start(args, fmt);
  format_into(e, fmt, args);
  va_end(args);
  return -1;
}

static const char *code_of_errno(int err, const char *fallback) {
  switch (err) {
    case EPERM:
    case EACCES: return "E_PRIVILEGE";
    case ENOSYS: return "E_NO_BPF";
    case ENODEV:
    case ENXIO: return "E_NO_INTERFACE";
    default: return fallback;
  }
}

int pcore_fail_errno(struct pcore_error *e, const char *fallback, int err, const char *fmt, ...) {
  if (!e) return -1;
  e->code = code_of_errno(err, fallback);
  e->err = err;
  va_list args;
  va_start(args, fmt);
  format_into(e, fmt, args);
  va_end(args);
  size_t n = strlen(e->message);
  snprintf(e->message + n, sizeof(e->message) - n, ": %s", strerror(err));
  return -1;
}
