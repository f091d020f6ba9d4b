// The interfaces of a network namespace, from getifaddrs(3): what `pcap-agent interfaces` lists
// and what a capture picks its interfaces from.
#ifndef PCAP_CORE_INTERFACES_H
#define PCAP_CORE_INTERFACES_H

#include <arpa/inet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct pcore_address {
  int family;  // 4 or 6
  char address[INET6_ADDRSTRLEN];
  int prefix;
};

struct pcore_interface {
  char name[IF_NAMESIZE];
  unsigned index;
  unsigned flags;  // IFF_*
  int hatype;      // ARPHRD_*, -1 when unknown
  char mac[3 * 8];
  unsigned long long rx_packets, tx_packets;
  struct pcore_address *addresses;
  size_t naddresses;
};

struct pcore_interface_list {
  struct pcore_interface *items;
  size_t count;
};

// Lists the interfaces of the namespace at `netns` (NULL: this one), in getifaddrs order.
int pcore_list_interfaces(const char *netns, struct pcore_interface_list *out, struct pcore_error *e);
void pcore_free_interfaces(struct pcore_interface_list *list);
const struct pcore_interface *pcore_find_interface(const struct pcore_interface_list *list, const char *name);

// Interfaces whose packets start at the IP header in the TC hook (tun, wireguard, GRE, SIT).
bool pcore_is_raw_ip(int hatype);

#endif
