#define _GNU_SOURCE
#include "runner.h"

#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

// The kernel side wakes the reader at least once a millisecond while packets flow; a record can
// still land right after a wakeup without one of its own. So after a read that found records the
// loop looks again soon, and only an idle loop sleeps long (timers, deadlines, stats).
#define BUSY_POLL_MS 2
#define IDLE_POLL_MS 100

// SIGINT, SIGTERM and SIGHUP arrive on a descriptor, read by the loop; a closed stdout shows as EPIPE.
static int signal_descriptor(void) {
  sigset_t stops;
  sigemptyset(&stops);
  sigaddset(&stops, SIGINT);
  sigaddset(&stops, SIGTERM);
  sigaddset(&stops, SIGHUP);
  sigprocmask(SIG_BLOCK, &stops, NULL);
  signal(SIGPIPE, SIG_IGN);
  return signalfd(-1, &stops, SFD_CLOEXEC | SFD_NONBLOCK);
}

// True when stdin is a pipe or socket whose end means "stop": our callers' stop signal.
static bool stdin_is_stop_channel(void) {
  struct stat st;
  return fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

static void stop(struct session *s, const char *reason) {
  if (!s->stop_reason) s->stop_reason = reason;
}

static void on_signal(struct watch *w, uint32_t events) {
  (void)events;
  struct runner *r = w->ctx;
  struct signalfd_siginfo info;
  if (read(w->fd, &info, sizeof(info)) > 0) stop(r->session, "signal");
}

static void on_ring(struct watch *w, uint32_t events) {
  (void)w;
  (void)events;  // the loop drains the ring after every turn
}

static void on_input(struct watch *w, uint32_t events) {
  (void)events;
  struct runner *r = w->ctx;
  if (control_read(&r->control, w->fd)) {
    loop_set(&r->loop, w, 0);  // an ended stdin stays readable: stop watching it
    stop(r->session, "stdin-closed");
  }
}

int runner_open(struct runner *r, struct session *s, bool control) {
  *r = (struct runner){.session = s, .signals = {.fd = -1}, .ring = {.fd = -1}, .input = {.fd = -1}};
  r->loop.epoll_fd = -1;
  if (loop_open(&r->loop) != 0) return -1;
  r->signals = (struct watch){.fd = signal_descriptor(), .fn = on_signal, .ctx = r};
  if (r->signals.fd < 0 || loop_set(&r->loop, &r->signals, EPOLLIN) != 0) return -1;
  if (control && stdin_is_stop_channel()) {
    r->input = (struct watch){.fd = STDIN_FILENO, .fn = on_input, .ctx = r};
    if (loop_set(&r->loop, &r->input, EPOLLIN) != 0) return -1;
  }
  return 0;
}

int runner_start(struct runner *r, struct pcore_error *e) {
  struct session *s = r->session;
  int fd = s->afpacket ? pcore_afpacket_start(s->afpacket, session_record, s, e)
                       : pcore_capture_start(s->capture, session_record, s, e);
  if (fd < 0) return -1;
  r->ring = (struct watch){.fd = fd, .fn = on_ring, .ctx = r};
  if (loop_set(&r->loop, &r->ring, EPOLLIN) != 0)
    return pcore_fail_errno(e, "E_INTERNAL", errno, "set up the event loop");
  return 0;
}

const char *runner_run(struct runner *r) {
  struct session *s = r->session;
  int drained = 0;
  while (!s->stop_reason) {
    if (loop_run_once(&r->loop, drained > 0 ? BUSY_POLL_MS : IDLE_POLL_MS) != 0) {
      stop(s, "error");
      break;
    }
    drained = session_drain(s);
    session_tick(s);
    if (s->server) server_sweep(s->server);
    if (r->each_turn) r->each_turn(r->ctx);
  }
  return s->stop_reason;
}

void runner_close(struct runner *r) {
  if (r->signals.fd >= 0) close(r->signals.fd);
  loop_close(&r->loop);
}
