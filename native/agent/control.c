#include "control.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "json.h"

// Never echo the line: a sudo password meant for sudo could land here, and events are shown.
static void ignored(size_t len, const char *why) {
  char message[256];
  snprintf(message, sizeof(message), "ignored a control line of %zu characters: %s", len, why);
  event_error("E_USAGE", message);
}

static const char *skip_blanks(const char *p) {
  while (isspace((unsigned char)*p)) p++;
  return p;
}

static const char EXPECTED[] = "expected {\"command\":\"set-filter\",\"filter\":\"…\"} or {\"command\":\"stop\"}";

struct command {
  char name[32];  // "" when absent
  char filter[CONTROL_MAX_LINE];
  bool has_filter;
};

// Reads one member "key": "value" (command and filter are kept, other keys skipped). Commands have
// string members only (agent/control.ts checks their types), so another value makes the line no
// command. Returns the character after the member, or NULL with `why` set.
static const char *read_member(const char *p, struct command *cmd, const char **why) {
  static char key[CONTROL_MAX_LINE], value[CONTROL_MAX_LINE];
  p = json_read_string(p, key, sizeof(key));
  if (!p) return NULL;
  p = skip_blanks(p);
  if (*p++ != ':') return NULL;
  p = skip_blanks(p);
  if (*p != '"') {
    *why = EXPECTED;
    return NULL;
  }
  p = json_read_string(p, value, sizeof(value));
  if (!p) return NULL;
  if (strcmp(key, "command") == 0 && strlen(value) < sizeof(cmd->name)) {
    strcpy(cmd->name, value);
  } else if (strcmp(key, "filter") == 0) {
    strcpy(cmd->filter, value);
    cmd->has_filter = true;
  }
  return p;
}

// Parses {"key":"value",…}; returns false with `why` set when the line is not such an object.
static bool parse_command(const char *line, struct command *cmd, const char **why) {
  const char *p = skip_blanks(line);
  memset(cmd, 0, sizeof(*cmd));
  *why = "not JSON";
  if (*p++ != '{') return false;
  p = skip_blanks(p);
  if (*p != '}') {
    for (;;) {
      p = read_member(p, cmd, why);
      if (!p) return false;
      p = skip_blanks(p);
      if (*p == '}') break;
      if (*p++ != ',') return false;
      p = skip_blanks(p);
    }
  }
  return *skip_blanks(p + 1) == 0;
}

static bool handle_line(struct control *c, char *line, size_t len) {
  static struct command cmd;
  const char *why;
  line[len] = 0;
  if (*skip_blanks(line) == 0) return false;
  if (!parse_command(line, &cmd, &why)) {
    ignored(len, why);
    return false;
  }
  if (strcmp(cmd.name, "stop") == 0) return true;
  if (strcmp(cmd.name, "set-filter") == 0 && cmd.has_filter) {
    if (c->set_filter) c->set_filter(c->ctx, cmd.filter);
    return false;
  }
  ignored(len, EXPECTED);
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
    stop |= handle_line(c, start, (size_t)(nl - start));
  c->len -= (size_t)(start - c->line);
  memmove(c->line, start, c->len);
  if (c->len == sizeof(c->line)) {
    ignored(c->len, "line too long");
    c->len = 0;
  }
  return stop;
}
