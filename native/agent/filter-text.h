// A capture filter as the user gives it: a tcpdump expression, or the seed's PROTO,PORT form
// (tcp,443), which becomes its expression (tcp port 443) before libpcap sees it; and the filter a
// capture runs, its -f (or set-filter) with its --exclude.
#ifndef PCAP_AGENT_FILTER_TEXT_H
#define PCAP_AGENT_FILTER_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "../core/capture-filter.h"
#include "../core/error.h"

// `text` itself, or `buf` holding the expression of a PROTO,PORT filter; NULL with an E_FILTER error
// in `e` (the message packet/filter.ts gives) for a PROTO,PORT that is not one.
const char *filter_expression(const char *text, char *buf, size_t size, struct pcore_error *e);

// Compiles a capture's filter into `f` and, when `exclusion` is not NULL, its --exclude into
// `exclusion` (pcore_filter_init_exclusion; set-filter passes NULL: the exclusion stays). The
// exclusion is checked first and alone, so its errors name it ("invalid --exclude filter: …") and a
// parenthesis in it cannot pair with anything around it. Returns the effective filter's text
// (malloc'd), which the started and filter events and pcapng if_filter show: FILTER as given
// without an exclusion, else one pcap-filter(7) expression, "(FILTER) and not (EXCLUDE)" or
// "not (EXCLUDE)", PROTO,PORT forms rewritten (packet/filter.ts, describeWithExclusion); NULL with
// an E_FILTER error in `e`.
char *capture_filter_compile(struct pcore_filter *f, struct pcore_filter *exclusion, const char *filter,
                             const char *exclude, unsigned links, uint32_t snaplen, struct pcore_error *e);

#endif
