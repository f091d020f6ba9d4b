// `pcap-agent capture`: pick the interfaces, open the output, load and attach, then move records
// from the ring to the output until stdin ends, a signal comes, or a budget is spent.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "commands.h"
#include "control.h"
#include "filter-text.h"
#include "netns-check.h"
#include "output-file.h"
#include "session.h"

#define POLL_MS 15          // drain this often even without a wakeup (wakeups are batched)
#define STATS_INTERVAL_S 1  // a stats event a second with --events json

static const char PRIVILEGE_HINT[] =
    "capturing needs root, or CAP_BPF + CAP_NET_ADMIN + CAP_PERFMON (in a container: --cap-add BPF --cap-add "
    "NET_ADMIN --cap-add PERFMON)";

static int pick_interfaces(const struct capture_options *o, const struct pcore_interface_list *available,
                           const struct pcore_interface **chosen, size_t *n) {
  *n = 0;
  for (size_t i = 0; i < o->ninterfaces; i++)
    if (strcmp(o->interfaces[i], "any") == 0) {
      for (size_t k = 0; k < available->count && k < MAX_INTERFACES; k++) chosen[(*n)++] = &available->items[k];
      return 0;
    }
  for (size_t i = 0; i < o->ninterfaces; i++) {
    const struct pcore_interface *found = pcore_find_interface(available, o->interfaces[i]);
    if (found) {
      chosen[(*n)++] = found;
      continue;
    }
    char message[4096];
    int len = snprintf(message, sizeof(message), "no interface \"%s\"%s%s; available: ", o->interfaces[i],
                       *o->netns ? " in " : "", o->netns);
    for (size_t k = 0; k < available->count && len < (int)sizeof(message); k++)
      len += snprintf(message + len, sizeof(message) - (size_t)len, "%s%s", k ? ", " : "", available->items[k].name);
    return report_error("E_NO_INTERFACE", message);
  }
  return 0;
}

// True when stdin is a pipe or socket whose end means "stop": our callers' stop signal.
static bool stdin_is_stop_channel(void) {
  struct stat st;
  return fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

static int open_output(const struct capture_options *o) {
  if (strcmp(o->write, "-") != 0) {
    char message[4200];
    int fd = open_capture_file(o->write, o->overwrite, message, sizeof(message));
    if (fd < 0) report_error("E_OUTPUT", message);
    return fd;
  }
  if (isatty(STDOUT_FILENO)) {
    report_error("E_OUTPUT",
                 "refusing to write a binary capture to a terminal: use -w FILE, or pipe it (| wireshark -k -i -)");
    return -1;
  }
  return STDOUT_FILENO;
}

static int watch(int epoll_fd, int fd) {
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

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

static int stats_timer(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  struct itimerspec every = {.it_interval = {STATS_INTERVAL_S, 0}, .it_value = {STATS_INTERVAL_S, 0}};
  if (fd >= 0) timerfd_settime(fd, 0, &every, NULL);
  return fd;
}

struct loop {
  int epoll_fd, ring_fd, signal_fd, timer_fd, stdin_fd;
  struct control control;
};

static void on_ready(struct session *s, struct loop *l, int fd) {
  char scratch[sizeof(struct signalfd_siginfo)];
  if (fd == l->signal_fd) {
    if (read(fd, scratch, sizeof(scratch)) > 0 && !s->stop_reason) s->stop_reason = "signal";
  } else if (fd == l->timer_fd) {
    if (read(fd, scratch, 8) == 8) session_stats(s);
  } else if (fd == l->stdin_fd) {
    if (control_read(&l->control, fd) && !s->stop_reason) s->stop_reason = "stdin-closed";
  }
}

static const char *run_loop(struct session *s, struct loop *l) {
  struct epoll_event events[4];
  while (!s->stop_reason) {
    int n = epoll_wait(l->epoll_fd, events, 4, POLL_MS);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; i++) on_ready(s, l, events[i].data.fd);
    session_drain(s);
  }
  return s->stop_reason ? s->stop_reason : "error";
}

static int setup_loop(struct loop *l, int ring_fd, bool stats) {
  *l = (struct loop){.epoll_fd = epoll_create1(EPOLL_CLOEXEC), .ring_fd = ring_fd, .timer_fd = -1, .stdin_fd = -1};
  l->signal_fd = signal_descriptor();
  if (l->epoll_fd < 0 || l->signal_fd < 0) return -1;
  if (watch(l->epoll_fd, ring_fd) != 0 || watch(l->epoll_fd, l->signal_fd) != 0) return -1;
  if (stats && ((l->timer_fd = stats_timer()) < 0 || watch(l->epoll_fd, l->timer_fd) != 0)) return -1;
  if (stdin_is_stop_channel()) {
    l->stdin_fd = STDIN_FILENO;
    if (watch(l->epoll_fd, STDIN_FILENO) != 0) return -1;
  }
  return 0;
}

static void close_loop(struct loop *l) {
  int fds[] = {l->epoll_fd, l->signal_fd, l->timer_fd};
  for (size_t i = 0; i < sizeof(fds) / sizeof(*fds); i++)
    if (fds[i] >= 0) close(fds[i]);
}

// A load refused for privilege says what the process lacks.
static int report_load_error(struct pcore_error *e) {
  if (strcmp(e->code, "E_PRIVILEGE") == 0) {
    size_t len = strlen(e->message);
    snprintf(e->message + len, sizeof(e->message) - len, " (%s)", PRIVILEGE_HINT);
  }
  return report_error(e->code, e->message);
}

static int capture_on(const struct capture_options *o, const struct pcore_interface *const *chosen, size_t n,
                      struct pcore_filter *filter, int out_fd) {
  struct session s;
  struct pcore_error e;
  struct loop l;
  if (session_open(&s, o, chosen, n, out_fd, filter, &e) != 0) {
    session_close(&s, "error");
    return report_load_error(&e);
  }
  // The ring is read from before the first hook is attached: nothing waits unread.
  int ring_fd = pcore_capture_start(s.capture, session_record, &s, &e);
  if (ring_fd < 0 || setup_loop(&l, ring_fd, o->events_json) != 0) {
    if (ring_fd >= 0) pcore_fail_errno(&e, "E_INTERNAL", errno, "set up the event loop");
    session_close(&s, "error");
    return report_error(e.code, e.message);
  }
  l.control.set_filter = session_set_filter;
  l.control.ctx = &s;
  if (session_attach(&s, chosen, n, &e) != 0) {
    session_close(&s, "error");
    close_loop(&l);
    return report_error(e.code, e.message);
  }
  event_started(s.interfaces, s.ninterfaces, o->filter, o->snaplen, "pcapng");
  const char *reason = run_loop(&s, &l);
  session_close(&s, reason);
  close_loop(&l);
  return 0;
}

int run_capture(int argc, char **argv) {
  struct capture_options o;
  char message[4200];
  if (parse_capture_args(argc, argv, &o, message, sizeof(message)) != 0) return report_error("E_USAGE", message);
  events_use_json(o.events_json);
  struct pcore_interface_list available;
  struct pcore_error e;
  if (list_interfaces_in(o.netns, &available, &e) != 0) return report_error(e.code, e.message);
  const struct pcore_interface *chosen[MAX_INTERFACES];
  size_t n;
  int status = pick_interfaces(&o, &available, chosen, &n);
  // The filter is compiled before anything is loaded: a bad one is refused without privilege.
  struct pcore_filter filter;
  pcore_filter_init(&filter);
  char pca_form[32];
  const char *expr = filter_expression(o.filter, pca_form, sizeof(pca_form));
  if (status == 0 && pcore_filter_compile(&filter, expr, session_links(chosen, n), o.snaplen, &e) != 0)
    status = report_error(e.code, e.message);
  if (status == 0) {
    int out_fd = open_output(&o);
    status = out_fd < 0 ? exit_status("E_OUTPUT") : capture_on(&o, chosen, n, &filter, out_fd);
    if (out_fd > STDOUT_FILENO) close(out_fd);
  }
  pcore_filter_free(&filter);
  pcore_free_interfaces(&available);
  return status;
}
