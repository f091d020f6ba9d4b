// What every running capture needs around its session: the event loop, the stop signals
// (SIGINT, SIGTERM, SIGHUP), the ring buffer, and for `capture` the stdin control channel.
#ifndef PCAP_AGENT_RUNNER_H
#define PCAP_AGENT_RUNNER_H

#include <stdbool.h>

#include "control.h"
#include "loop.h"
#include "session.h"

struct runner {
  struct loop loop;
  struct session *session;
  struct watch signals, ring, input;
  struct control control;
  // Called after every turn of the loop (the PCA mode polls its interfaces there).
  void (*each_turn)(void *ctx);
  void *ctx;
};

// The loop and the signal descriptor; `control`: stdin is the stop channel when it is a pipe or
// a socket (then "stop", set-filter and its end are read from it).
int runner_open(struct runner *r, struct session *s, bool control);
// Starts reading the ring (before the first hook is attached: nothing waits unread).
int runner_start(struct runner *r, struct pcore_error *e);
// Runs until the session has a stop reason; returns it.
const char *runner_run(struct runner *r);
void runner_close(struct runner *r);

#endif
