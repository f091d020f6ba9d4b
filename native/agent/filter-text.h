// A capture filter as the user gives it: a tcpdump expression, or the seed's PROTO,PORT form
// (tcp,443), which becomes its expression (tcp port 443) before libpcap sees it.
#ifndef PCAP_AGENT_FILTER_TEXT_H
#define PCAP_AGENT_FILTER_TEXT_H

#include <stddef.h>

// `text` itself, or `buf` holding the expression of a PROTO,PORT filter.
const char *filter_expression(const char *text, char *buf, size_t size);

#endif
