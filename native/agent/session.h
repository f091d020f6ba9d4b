// One capture as the agent runs it: the loaded BPF object, the interfaces it announces (pcapng
// IDBs) and attaches, the output, and the counters its events report.
#ifndef PCAP_AGENT_SESSION_H
#define PCAP_AGENT_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/buffer.h"
#include "../core/capture-filter.h"
#include "../core/capture.h"
#include "../core/interfaces.h"
#include "events.h"
#include "options.h"

struct session {
  const struct capture_options *options;
  struct pcore_capture *capture;
  int out_fd;
  struct pcore_buffer pending;  // blocks not yet written
  uint64_t wall_offset_ns, start_ns;
  struct attached_interface interfaces[MAX_INTERFACES];  // announced, in IDB order
  size_t ninterfaces;
  unsigned links;  // PCORE_LINK_*: the link types of the chosen interfaces, which a filter is compiled for
  uint64_t packets, bytes;
  const char *stop_reason;  // set once: why the capture ends
};

// The link types of these interfaces (PCORE_LINK_*), which their filter is compiled for.
unsigned session_links(const struct pcore_interface *const *chosen, size_t n);
// Loads the BPF object, configures it, installs `filter` (compiled for session_links) and writes
// the pcapng header (SHB, one IDB per interface).
int session_open(struct session *s, const struct capture_options *o, const struct pcore_interface *const *chosen,
                 size_t n, int out_fd, struct pcore_filter *filter, struct pcore_error *e);
// The control channel's set-filter: the new filter from the next packet on, and a "filter" event;
// an expression libpcap refuses leaves the old filter in place and gives an E_FILTER error event.
void session_set_filter(void *session, const char *expr);
// Attaches every chosen interface's hooks.
int session_attach(struct session *s, const struct pcore_interface *const *chosen, size_t n, struct pcore_error *e);
// The ring's record callback (pcore_capture_start): one EPB per record, within -c.
int session_record(void *ctx, const struct cap_record *record, const uint8_t *packet);
// Moves what the ring holds to the output.
void session_drain(struct session *s);
void session_stats(struct session *s);
// Detaches, drains, writes the statistics blocks, reports "stopped", frees everything.
void session_close(struct session *s, const char *reason);

#endif
