#define _GNU_SOURCE
#include "fallback.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../core/afpacket.h"
#include "bpf-errors.h"
#include "../core/filter-text.h"
#include "session.h"

// The load failures AF_PACKET avoids: a missing privilege (E_PRIVILEGE: EPERM/EACCES, which
// lockdown and seccomp give too) and what the kernel lacks (E_NO_BPF: no bpf(), no ring buffer, no
// BTF). A filter libpcap refuses never gets here: it is compiled before anything loads.
static bool ebpf_unavailable(const struct pcore_error *e) {
  return strcmp(e->code, "E_PRIVILEGE") == 0 || strcmp(e->code, "E_NO_BPF") == 0;
}

// A packet socket needs CAP_NET_RAW; asking before anything else keeps the load error, which names
// every capability missing, the one error of a process that can capture neither way.
static int packet_socket_allowed(struct pcore_error *e) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    close(fd);
    return 0;
  }
  size_t n = strlen(e->message);
  snprintf(e->message + n, sizeof(e->message) - n, ", and AF_PACKET capture is refused too: %s (it needs CAP_NET_RAW)",
           strerror(errno));
  return -1;
}

int session_fallback_set_filter(struct session *s, const char *text, struct pcore_error *e) {
  char pca_form[32];
  const char *expr = filter_expression(text, pca_form, sizeof(pca_form), e);
  return expr ? pcore_afpacket_set_filter(s->afpacket, expr, e) : -1;
}

static int open_af_packet(struct session *s, struct pcore_error *e) {
  const struct capture_options *o = s->options;
  if (pcore_afpacket_open(o->snaplen, o->ring_bytes, s->wall_offset_ns, &s->afpacket, e) != 0) return -1;
  return session_fallback_set_filter(s, s->filter_text, e);
}

// AF_PACKET cannot tell a packet's process: a capture that asked for one says so instead.
static int attribution_needs_ebpf(struct pcore_error *e) {
  size_t n = strlen(e->message);
  snprintf(e->message + n, sizeof(e->message) - n,
           "; process attribution (--processes, --pid, --cgroup, --container) needs eBPF, and capture without it "
           "would fall back to AF_PACKET");
  return -1;
}

int session_fall_back(struct session *s, struct pcore_error *e) {
  if (!ebpf_unavailable(e)) return -1;
  if (s->options->processes && !s->options->processes_if_available) return attribution_needs_ebpf(e);
  if (packet_socket_allowed(e) != 0) return -1;
  struct pcore_error why = *e;
  struct bpf_host_facts facts;
  read_bpf_host_facts(&facts);
  explain_bpf_error(&why, true, &facts);
  pcore_capture_close(s->capture);
  s->capture = NULL;
  if (open_af_packet(s, e) != 0) return -1;
  char message[sizeof(why.message) + 128];
  snprintf(message, sizeof(message), "eBPF cannot be used (%s): capturing with libpcap's AF_PACKET instead%s",
           why.message, s->options->processes ? ", where packets do not name their processes" : "");
  event_warning("W_AF_PACKET", message);
  return 0;
}
