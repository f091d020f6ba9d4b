#include "control.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"

// The line without its blanks (JSON allows them anywhere between tokens of these commands).
static void squeeze(const char *in, size_t len, char *out, size_t size) {
  size_t n = 0;
  for (size_t i = 0; i < len && n + 1 < size; i++)
    if (!isspace((unsigned char)in[i])) out[n++] = in[i];
  out[n] = 0;
}

// Never echo the line: a sudo password meant for sudo could land here, and events are shown.
static void ignored(size_t len, const char *why) {
  char message[256];
  snprintf(message, sizeof(message), "ignored a control line of %zu characters: %s", len, why);
  event_error("E_USAGE", message);
}

static bool handle_line(const char *line, size_t len) {
  char compact[128];
  squeeze(line, len, compact, sizeof(compact));
  if (compact[0] == 0) return false;
  if (strcmp(compact, "{\"command\":\"stop\"}") == 0) return true;
  if (strncmp(compact, "{\"command\":\"set-filter\"", 23) == 0) {
    event_error("E_FILTER", "set-filter is not implemented in the static agent yet (filters arrive with libpcap)");
    return false;
  }
  ignored(len, "expected {\"command\":\"set-filter\",\"filter\":\"…\"} or {\"command\":\"stop\"}");
  return false;
}

bool control_read(struct control *c, int fd) {
  ssize_t n = read(fd, c->line + c->len, sizeof(c->line) - c->len);
  if (n < 0) return errno != EINTR && errno != EAGAIN;
  if (n == 0) return true;
  c->len += (size_t)n;
  bool stop = false;
  char *start = c->line;
  for (char *nl; (nl = memchr(start, '\n', c->len - (size_t)(start - c->line))) != NULL; start = nl + 1)
    stop |= handle_line(start, (size_t)(nl - start));
  c->len -= (size_t)(start - c->line);
  memmove(c->line, start, c->len);
  if (c->len == sizeof(c->line)) {
    ignored(c->len, "line too long");
    c->len = 0;
  }
  return stop;
}
