// listInterfaces(netnsPath?): the interfaces of a network namespace, from getifaddrs(3).
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <napi.h>

#include <map>
#include <string>
#include <vector>

#include "errors.h"
#include "netns.h"

namespace pcap {

namespace {

struct Address {
  int family;
  std::string address;
  int prefix;
};

struct Interface {
  std::string name;
  unsigned index = 0;
  unsigned flags = 0;
  int hatype = -1;
  std::string mac;
  std::vector<Address> addresses;
  unsigned long long rxPackets = 0, txPackets = 0;
};

int PrefixLength(const sockaddr *mask) {
  if (!mask) return 0;
  const unsigned char *bytes;
  size_t len;
  if (mask->sa_family == AF_INET) {
    bytes = reinterpret_cast<const unsigned char *>(&reinterpret_cast<const sockaddr_in *>(mask)->sin_addr);
    len = 4;
  } else {
    bytes = reinterpret_cast<const unsigned char *>(&reinterpret_cast<const sockaddr_in6 *>(mask)->sin6_addr);
    len = 16;
  }
  int bits = 0;
  for (size_t i = 0; i < len; i++) bits += __builtin_popcount(bytes[i]);
  return bits;
}

std::string FormatMac(const sockaddr_ll *ll) {
  char buf[3 * 8] = {0};
  size_t n = ll->sll_halen > 8 ? 8 : ll->sll_halen;
  for (size_t i = 0; i < n; i++) std::snprintf(buf + 3 * i, 4, i + 1 < n ? "%02x:" : "%02x", ll->sll_addr[i]);
  return buf;
}

}  // namespace

Napi::Value ListInterfaces(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string netns = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";

  std::map<std::string, Interface> byName;
  std::vector<std::string> order;
  {
    NetnsScope scope(netns);
    if (scope.error()) throw ErrnoError(env, "enter network namespace " + netns, scope.error());
    ifaddrs *list = nullptr;
    if (getifaddrs(&list) != 0) throw ErrnoError(env, "list interfaces", errno);
    for (ifaddrs *a = list; a; a = a->ifa_next) {
      auto [it, added] = byName.try_emplace(a->ifa_name);
      Interface &iface = it->second;
      if (added) {
        order.push_back(a->ifa_name);
        iface.name = a->ifa_name;
        iface.index = if_nametoindex(a->ifa_name);
      }
      iface.flags = a->ifa_flags;
      if (!a->ifa_addr) continue;
      int family = a->ifa_addr->sa_family;
      if (family == AF_PACKET) {
        auto *ll = reinterpret_cast<const sockaddr_ll *>(a->ifa_addr);
        iface.hatype = ll->sll_hatype;
        iface.mac = FormatMac(ll);
        if (a->ifa_data) {
          auto *stats = static_cast<const struct rtnl_link_stats *>(a->ifa_data);
          iface.rxPackets = stats->rx_packets;
          iface.txPackets = stats->tx_packets;
        }
      } else if (family == AF_INET || family == AF_INET6) {
        char text[INET6_ADDRSTRLEN] = {0};
        const void *src =
            family == AF_INET
                ? static_cast<const void *>(&reinterpret_cast<const sockaddr_in *>(a->ifa_addr)->sin_addr)
                : static_cast<const void *>(&reinterpret_cast<const sockaddr_in6 *>(a->ifa_addr)->sin6_addr);
        inet_ntop(family, src, text, sizeof(text));
        iface.addresses.push_back({family == AF_INET ? 4 : 6, text, PrefixLength(a->ifa_netmask)});
      }
    }
    freeifaddrs(list);
  }

  Napi::Array result = Napi::Array::New(env, order.size());
  for (size_t i = 0; i < order.size(); i++) {
    const Interface &iface = byName[order[i]];
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", iface.name);
    o.Set("index", iface.index);
    o.Set("up", (iface.flags & IFF_UP) != 0);
    o.Set("running", (iface.flags & IFF_RUNNING) != 0);
    o.Set("loopback", (iface.flags & IFF_LOOPBACK) != 0);
    o.Set("hatype", iface.hatype);
    o.Set("mac", iface.mac);
    o.Set("rxPackets", static_cast<double>(iface.rxPackets));
    o.Set("txPackets", static_cast<double>(iface.txPackets));
    Napi::Array addrs = Napi::Array::New(env, iface.addresses.size());
    for (size_t j = 0; j < iface.addresses.size(); j++) {
      Napi::Object a = Napi::Object::New(env);
      a.Set("family", iface.addresses[j].family);
      a.Set("address", iface.addresses[j].address);
      a.Set("prefix", iface.addresses[j].prefix);
      addrs.Set(j, a);
    }
    o.Set("addresses", addrs);
    result.Set(i, o);
  }
  return result;
}

}  // namespace pcap
