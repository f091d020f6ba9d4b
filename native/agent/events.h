// What the agent tells its caller on stderr, as agent/events.ts does: human lines, or with
// --events json one JSON object a line (started, stats, stopped, error), each with a "time".
#ifndef PCAP_AGENT_EVENTS_H
#define PCAP_AGENT_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct attached_interface {
  char name[16];
  unsigned ifindex;
  const char *mode;  // "tcx" or "clsact"
};

struct interface_stats {
  const char *name;
  unsigned ifindex;
  uint64_t seen, matched, captured, dropped;
};

struct totals {
  uint64_t packets, bytes, kernel_dropped, sink_dropped;
};

void events_use_json(bool json);

// filter: the effective filter (the exclusion included); exclude: the --exclude text, "" for none.
// processes: packets carry their process (--processes, --pid, --cgroup, --container).
void event_started(const struct attached_interface *ifaces, size_t n, const char *filter, const char *exclude,
                   uint32_t snaplen, const char *format, bool processes);
void event_stats(const struct totals *t, const struct interface_stats *ifaces, size_t n);
void event_stopped(const char *reason, const struct totals *t);
void event_error(const char *code, const char *message);
// The filter of a running capture changed (set-filter on stdin).
void event_filter(const char *filter);
void event_warning(const char *code, const char *message);
void event_attached(const struct attached_interface *iface);
void event_clients(int count);
void event_refused(const char *reason, int limit, const char *peer);

// PCA mode, at start: the interfaces chosen and those left out, each with why.
struct verdict {
  const char *name;
  const char *reason;
};
void event_interfaces(const struct verdict *chosen, size_t nchosen, const struct verdict *left, size_t nleft);

// A server without a token serves anyone who can reach it: said once, at start.
void warn_tokenless(const char *host, unsigned port, const char *why);

// Exit statuses: 2 for input the user can fix, 3 for what the host lacks, 1 else.
int exit_status(const char *code);

#endif
