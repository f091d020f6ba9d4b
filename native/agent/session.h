// One capture as the agent runs it: the loaded BPF object, the interfaces it announces (pcapng
// IDBs) and attaches, the output, and the counters its events report.
#ifndef PCAP_AGENT_SESSION_H
#define PCAP_AGENT_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/buffer.h"
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
  uint64_t packets, bytes;
  const char *stop_reason;  // set once: why the capture ends
};

// Loads the BPF object, configures it and writes the pcapng header (SHB, one IDB per interface).
int session_open(struct session *s, const struct capture_options *o, const struct pcore_interface *const *chosen,
                 size_t n, int out_fd, struct pcore_error *e);
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
