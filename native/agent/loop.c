#include "loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 32

int loop_open(struct loop *l) {
  l->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  return l->epoll_fd < 0 ? -1 : 0;
}

void loop_close(struct loop *l) {
  if (l->epoll_fd >= 0) close(l->epoll_fd);
  l->epoll_fd = -1;
}

int loop_set(struct loop *l, struct watch *w, uint32_t events) {
  if (events == w->events) return 0;
  struct epoll_event ev = {.events = events, .data.ptr = w};
  int op = events == 0 ? EPOLL_CTL_DEL : w->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  if (epoll_ctl(l->epoll_fd, op, w->fd, &ev) != 0) return -1;
  w->events = events;
  return 0;
}

int loop_run_once(struct loop *l, int timeout_ms) {
  struct epoll_event events[MAX_EVENTS];
  int n = epoll_wait(l->epoll_fd, events, MAX_EVENTS, timeout_ms);
  if (n < 0) return errno == EINTR ? 0 : -1;
  // A handler may stop watching another descriptor of this batch, but never frees its watch
  // before the batch is done (the server frees closed clients afterwards): see server_sweep.
  for (int i = 0; i < n; i++) {
    struct watch *w = events[i].data.ptr;
    if (w->events) w->fn(w, events[i].events);
  }
  return 0;
}

uint64_t loop_now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}
