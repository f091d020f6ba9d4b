// A capture's tcpdump filter: compiled by libpcap for the link types of the capture's interfaces,
// translated for each hook direction, loaded, and installed into the capture's program array
// (bpf/capture.h, CAP_PROG_*), where replacing it is one map update per slot.
#ifndef PCAP_CORE_CAPTURE_FILTER_H
#define PCAP_CORE_CAPTURE_FILTER_H

#include <stdint.h>

#include "error.h"
#include "filter-compile.h"

// Bits of the `links` argument: which kinds of interface the capture has.
#define PCORE_LINK_ETHERNET (1u << FILTER_LINK_ETHERNET)
#define PCORE_LINK_RAW (1u << FILTER_LINK_RAW)

struct pcore_filter {
  struct filter_cbpf cbpf[2];  // by enum filter_link; len 0: not compiled (no such interface, or no filter)
  int fds[4];                  // by CAP_PROG_FILTER(direction, raw); -1: not loaded
  uint32_t first_slot;         // where fds[0] goes in the program array: CAP_PROG_FILTER or CAP_PROG_EXCLUDE
  uint32_t next_slot;          // where a match goes for CAP_DIR_IN (+1 for out): CAP_PROG_EMIT or CAP_PROG_PASS
};

// A capture's filter: its matches are captured.
void pcore_filter_init(struct pcore_filter *f);
// A capture's exclusion, compiled as `not (EXCLUDE)`: what it matches goes on to the filter, the
// rest is never captured; it runs before the filter and stays when the filter is replaced.
void pcore_filter_init_exclusion(struct pcore_filter *f);

// Compiles `expr` for each link type in `links`, with `snaplen` as the capture length of a match.
// A blank expression is no filter (everything matches). Needs no privilege: a capture checks its
// filter before loading anything. Fails with E_FILTER and libpcap's own message.
int pcore_filter_compile(struct pcore_filter *f, const char *expr, unsigned links, uint32_t snaplen,
                         struct pcore_error *e);
// The same, with `what` naming the filter in the message ("invalid WHAT: …"), e.g. "--exclude filter".
int pcore_filter_compile_as(struct pcore_filter *f, const char *what, const char *expr, unsigned links,
                            uint32_t snaplen, struct pcore_error *e);

// Translates what was compiled into one program per link type and hook direction, and loads them;
// each hands its matches to the emit program of its direction in `progs_fd` (cap_progs).
int pcore_filter_load(struct pcore_filter *f, int progs_fd, struct pcore_error *e);

// Makes `f` the filter of every hook from its next packet on. Each slot is replaced by one map
// update, so a packet meets either the old filter or the new one, never both or neither. After it,
// `f` may be freed: the program array holds its own references.
int pcore_filter_install(const struct pcore_filter *f, int progs_fd, struct pcore_error *e);

void pcore_filter_free(struct pcore_filter *f);

// Compiles a capture's filter into `f` and, when `exclusion` is not NULL, its --exclude into
// `exclusion` (pcore_filter_init_exclusion; set-filter passes NULL: the exclusion stays). The
// exclusion is checked first and alone, so its errors name it ("invalid --exclude filter: …") and a
// parenthesis in it cannot pair with anything around it. Returns the effective filter's text
// (malloc'd), which the started and filter events, pcapng if_filter and the AF_PACKET fallback use: FILTER as given
// without an exclusion, else one pcap-filter(7) expression, "(FILTER) and not (EXCLUDE)" or
// "not (EXCLUDE)", PROTO,PORT forms rewritten (filter-text.h); NULL with
// an E_FILTER error in `e`.
char *capture_filter_compile(struct pcore_filter *f, struct pcore_filter *exclusion, const char *filter,
                             const char *exclude, unsigned links, uint32_t snaplen, struct pcore_error *e);

#endif
