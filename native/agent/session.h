// One capture as the agent runs it: the loaded BPF object, the
// interfaces it announces (pcapng IDBs) and attaches, the encoder (pcapng or classic pcap), the
// sinks (a stream, a TCP server), budgets, and the counters its events report. Used by
// `pcap-agent capture` and by the PCA server mode.
#ifndef PCAP_AGENT_SESSION_H
#define PCAP_AGENT_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/afpacket.h"
#include "../core/buffer.h"
#include "../core/capture-filter.h"
#include "../core/capture.h"
#include "../core/interfaces.h"
#include "../core/processes.h"
#include "events.h"
#include "options.h"
#include "sinks.h"

#define STATS_INTERVAL_MS 1000
// Long captures report drops in-band; Wireshark shows drops only from a single ISB, so not more often.
#define ISB_INTERVAL_MS 60000

struct known_interface {
  struct attached_interface a;  // mode is "" until attached
  bool raw_ip;
  bool attached;
  bool loopback;
};

struct session {
  const struct capture_options *options;
  const char *filter_text;  // the effective filter (-f with --exclude) that pcapng if_filter gives
  struct pcore_capture *capture;
  struct pcore_afpacket *afpacket;        // instead of `capture` where eBPF cannot be used (fallback.h)
  struct pcore_process_cache *processes;  // with attribution: each packet's process, as its EPB comment
  struct pcore_buffer header;             // what every reader needs first: SHB + IDBs so far, or the pcap file header
  struct pcore_buffer pending;            // encoded packets not yet handed to the sinks
  uint64_t pending_packets;
  struct stream_sink *stream;  // NULL without -w
  struct server *server;       // NULL without --listen
  uint64_t wall_offset_ns, start_ns;
  struct known_interface interfaces[MAX_INTERFACES];  // announced, in IDB order
  size_t ninterfaces;
  unsigned links;  // PCORE_LINK_*: the link types of the chosen interfaces, which a filter is compiled for
  uint64_t packets, bytes;
  uint64_t next_stats_ms, next_isb_ms, deadline_ms;  // 0: none
  uint64_t next_presence_ms;                         // 0: interfaces not watched (PCA mode finds them itself)
  const char *stop_reason;                           // set once: why the capture ends
  bool budget_spent;                                 // -c or --max-bytes reached: no more records
};

// What a capture asks of process attribution (--processes, and the processes --pid, --container
// or --cgroup choose), resolved from /proc and the cgroup file system before anything loads.
struct process_choice {
  struct pcore_attribution attribution;
  struct pcore_pids pids;  // the chosen processes, descendants included (--pid, --container)
  char cgroup[4096];       // --cgroup's path below the cgroup v2 root; "" for none
};
int process_choice_resolve(const struct capture_options *o, struct process_choice *out, struct pcore_error *e);
void process_choice_free(struct process_choice *c);

// The link types of these interfaces (PCORE_LINK_*), which their filter is compiled for.
unsigned session_links(const struct pcore_interface *const *chosen, size_t n);
// Loads the BPF object, configures it and installs `filter` and `exclusion` (compiled for `links`;
// `exclusion` NULL for none, then the hooks go straight to the filter); where eBPF cannot be used,
// opens the AF_PACKET capture with `filter_text` instead (fallback.h). `filter_text` is the
// effective filter, kept by the caller while the session lasts. `processes`: NULL, or attribution
// (then eBPF is required: no AF_PACKET fallback). Nothing is written yet.
int session_open(struct session *s, const struct capture_options *o, unsigned links, struct pcore_filter *filter,
                 struct pcore_filter *exclusion, const char *filter_text, const struct process_choice *processes,
                 struct pcore_error *e);
// The control channel's set-filter: the new filter (with the capture's --exclude) from the next
// packet on, and a "filter" event with the effective filter; an expression libpcap refuses leaves
// the old filter in place and gives an E_FILTER error event.
void session_set_filter(void *session, const char *expr);
// Announces an interface to readers (pcapng IDB) before any of its packets can arrive.
struct known_interface *session_register(struct session *s, const struct pcore_interface *iface, struct pcore_error *e);
// The stream gets the header now, counted against --max-bytes like everything after it.
void session_add_stream(struct session *s, struct stream_sink *stream);
void session_add_server(struct session *s, struct server *server);
// Registers the interface if needed and attaches its hooks.
struct known_interface *session_attach(struct session *s, const struct pcore_interface *iface, struct pcore_error *e);
void session_detach(struct session *s, unsigned ifindex);
void session_detach_all(struct session *s);
// Starts the timers: statistics events (with_stats), ISBs (pcapng), --duration.
void session_start_timers(struct session *s, bool with_stats);
// Once a second from now on, an attached interface that is gone (deleted, or its network namespace
// with it, as when a pod is deleted) is reported (W_INTERFACE_GONE) and detached; with none left
// the capture stops ("interfaces-gone").
void session_watch_interfaces(struct session *s);
// The ring's record callback (pcore_capture_start): one EPB or pcap record per record, within budgets.
int session_record(void *ctx, const struct pcore_packet *packet, const uint8_t *bytes);
// Moves what the ring holds to the sinks; then whatever timer is due.
int session_drain(struct session *s);  // the records read
void session_tick(struct session *s);
// Detaches, drains, writes the statistics blocks, closes the sinks, reports "stopped" (unless
// `reason` is NULL: a capture that never started), frees.
void session_close(struct session *s, const char *reason);

#endif
