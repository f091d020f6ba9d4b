// The seed's PCA_FILTER form, PROTO,PORT ("tcp,443"), as the tcpdump expression it means
// ("tcp port 443"), with a message naming what is wrong for what is not that form.
#ifndef PCAP_AGENT_PCA_FILTER_H
#define PCAP_AGENT_PCA_FILTER_H

#include <stddef.h>

// Returns 0 with the expression in `out`, or -1 with `message` set (without "invalid filter: ").
int pca_filter_expression(const char *text, char *out, size_t size, char *message, size_t message_size);

#endif
