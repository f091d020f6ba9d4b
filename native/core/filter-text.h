// A capture filter as the user gives it: a tcpdump expression, or the seed's PROTO,PORT form
// (tcp,443), which becomes its expression (tcp port 443) before libpcap sees it. Needs nothing but
// libc: the addon's filter check reads the text the same way.
#ifndef PCAP_AGENT_FILTER_TEXT_H
#define PCAP_AGENT_FILTER_TEXT_H

#include <stddef.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

// `text` itself, or `buf` holding the expression of a PROTO,PORT filter; NULL with an E_FILTER error
// in `e` (pca-filter.h) for a PROTO,PORT that is not one.
const char *filter_expression(const char *text, char *buf, size_t size, struct pcore_error *e);

#ifdef __cplusplus
}
#endif

#endif
