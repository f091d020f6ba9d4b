// The agent's event loop: one epoll set; each watched descriptor carries the function that
// handles it. Everything (the ring buffer, signals, stdin, the server and its clients, slow
// outputs) runs on this one thread, so nothing needs a lock.
#ifndef PCAP_AGENT_LOOP_H
#define PCAP_AGENT_LOOP_H

#include <stdint.h>

struct watch {
  int fd;
  void (*fn)(struct watch *w, uint32_t events);
  void *ctx;
  uint32_t events;  // what is watched now (0: not in the set)
};

struct loop {
  int epoll_fd;
};

int loop_open(struct loop *l);
void loop_close(struct loop *l);
// Watches w->fd for `events` (EPOLLIN, EPOLLOUT), or stops watching it (0). Returns 0 or -1 (errno).
int loop_set(struct loop *l, struct watch *w, uint32_t events);
// Waits up to `timeout_ms` and runs the handler of every descriptor that is ready.
int loop_run_once(struct loop *l, int timeout_ms);

// CLOCK_MONOTONIC in milliseconds: deadlines (duration, statistics, logins).
uint64_t loop_now_ms(void);

#endif
