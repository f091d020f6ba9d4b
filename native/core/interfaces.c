#define _GNU_SOURCE
#include "interfaces.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netns.h"

#define ARPHRD_IPGRE_ 778
#define ARPHRD_SIT_ 776
#define ARPHRD_NONE_ 0xfffe

bool pcore_is_raw_ip(int hatype) {
  return hatype == ARPHRD_NONE_ || hatype == ARPHRD_IPGRE_ || hatype == ARPHRD_SIT_;
}

static int prefix_length(const struct sockaddr *mask) {
  if (!mask) return 0;
  const unsigned char *bytes;
  size_t len;
  if (mask->sa_family == AF_INET) {
    bytes = (const unsigned char *)&((const struct sockaddr_in *)mask)->sin_addr;
    len = 4;
  } else {
    bytes = (const unsigned char *)&((const struct sockaddr_in6 *)mask)->sin6_addr;
    len = 16;
  }
  int bits = 0;
  for (size_t i = 0; i < len; i++) bits += __builtin_popcount(bytes[i]);
  return bits;
}

static void format_mac(const struct sockaddr_ll *ll, char *out, size_t size) {
  size_t n = ll->sll_halen > 8 ? 8 : ll->sll_halen;
  out[0] = 0;
  for (size_t i = 0; i < n; i++) snprintf(out + 3 * i, size - 3 * i, i + 1 < n ? "%02x:" : "%02x", ll->sll_addr[i]);
}

// The entry for `name`, appended (with its index) when it is new; NULL when out of memory.
static struct pcore_interface *entry_for(struct pcore_interface_list *list, const char *name) {
  for (size_t i = 0; i < list->count; i++)
    if (strcmp(list->items[i].name, name) == 0) return &list->items[i];
  struct pcore_interface *grown = realloc(list->items, (list->count + 1) * sizeof(*grown));
  if (!grown) return NULL;
  list->items = grown;
  struct pcore_interface *iface = &grown[list->count++];
  memset(iface, 0, sizeof(*iface));
  snprintf(iface->name, sizeof(iface->name), "%s", name);
  iface->index = if_nametoindex(name);
  iface->hatype = -1;
  return iface;
}

static int add_address(struct pcore_interface *iface, const struct ifaddrs *a) {
  int family = a->ifa_addr->sa_family;
  struct pcore_address *grown = realloc(iface->addresses, (iface->naddresses + 1) * sizeof(*grown));
  if (!grown) return -1;
  iface->addresses = grown;
  struct pcore_address *addr = &grown[iface->naddresses++];
  const void *src = family == AF_INET ? (const void *)&((const struct sockaddr_in *)a->ifa_addr)->sin_addr
                                      : (const void *)&((const struct sockaddr_in6 *)a->ifa_addr)->sin6_addr;
  addr->family = family == AF_INET ? 4 : 6;
  inet_ntop(family, src, addr->address, sizeof(addr->address));
  addr->prefix = prefix_length(a->ifa_netmask);
  return 0;
}

static int record(struct pcore_interface_list *list, const struct ifaddrs *a) {
  struct pcore_interface *iface = entry_for(list, a->ifa_name);
  if (!iface) return -1;
  iface->flags = a->ifa_flags;
  if (!a->ifa_addr) return 0;
  int family = a->ifa_addr->sa_family;
  if (family == AF_PACKET) {
    const struct sockaddr_ll *ll = (const struct sockaddr_ll *)a->ifa_addr;
    iface->hatype = ll->sll_hatype;
    format_mac(ll, iface->mac, sizeof(iface->mac));
    if (a->ifa_data) {
      const struct rtnl_link_stats *stats = a->ifa_data;
      iface->rx_packets = stats->rx_packets;
      iface->tx_packets = stats->tx_packets;
    }
    return 0;
  }
  if (family == AF_INET || family == AF_INET6) return add_address(iface, a);
  return 0;
}

int pcore_list_interfaces(const char *netns, struct pcore_interface_list *out, struct pcore_error *e) {
  out->items = NULL;
  out->count = 0;
  int saved;
  int err = pcore_netns_enter(netns, &saved);
  if (err) return pcore_fail_errno(e, "E_NO_NETNS", err, "enter network namespace %s", netns);
  struct ifaddrs *list = NULL;
  int rc = 0;
  if (getifaddrs(&list) != 0) {
    rc = pcore_fail_errno(e, "E_INTERNAL", errno, "list interfaces");
  } else {
    for (struct ifaddrs *a = list; a && rc == 0; a = a->ifa_next)
      if (record(out, a) != 0) rc = pcore_fail(e, "E_INTERNAL", ENOMEM, "list interfaces: out of memory");
    freeifaddrs(list);
  }
  pcore_netns_leave(saved);
  if (rc != 0) pcore_free_interfaces(out);
  return rc;
}

void pcore_free_interfaces(struct pcore_interface_list *list) {
  for (size_t i = 0; i < list->count; i++) free(list->items[i].addresses);
  free(list->items);
  list->items = NULL;
  list->count = 0;
}

const struct pcore_interface *pcore_find_interface(const struct pcore_interface_list *list, const char *name) {
  for (size_t i = 0; i < list->count; i++)
    if (strcmp(list->items[i].name, name) == 0) return &list->items[i];
  return NULL;
}
