// stdin as the caller's control channel (agent/control.ts): JSON lines, one command each
// ({"command":"set-filter","filter":"…"} or {"command":"stop"}); the end of stdin stops the capture.
#ifndef PCAP_AGENT_CONTROL_H
#define PCAP_AGENT_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#define CONTROL_MAX_LINE (64 * 1024)

// Called with the new filter of a set-filter command; it reports the outcome itself.
typedef void (*control_filter_fn)(void *ctx, const char *filter);

struct control {
  char line[CONTROL_MAX_LINE];
  size_t len;
  control_filter_fn set_filter;
  void *ctx;
};

// Reads what stdin has; returns true when the capture must stop (end of stdin, or "stop").
bool control_read(struct control *c, int fd);

#endif
