// Listing a namespace's interfaces with the agent's messages for a missing or forbidden namespace.
#ifndef PCAP_AGENT_NETNS_CHECK_H
#define PCAP_AGENT_NETNS_CHECK_H

#include "../core/interfaces.h"

int list_interfaces_in(const char *netns, struct pcore_interface_list *list, struct pcore_error *e);

#endif
