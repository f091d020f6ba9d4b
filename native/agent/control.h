// stdin as the caller's control channel (agent/control.ts): JSON lines, one command each; the
// end of stdin stops the capture. Only "stop" is implemented here so far.
#ifndef PCAP_AGENT_CONTROL_H
#define PCAP_AGENT_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#define CONTROL_MAX_LINE (64 * 1024)

struct control {
  char line[CONTROL_MAX_LINE];
  size_t len;
};

// Reads what stdin has; returns true when the capture must stop (end of stdin, or "stop").
bool control_read(struct control *c, int fd);

#endif
