// `pcap-agent interfaces [--netns …] [--json]`: the JSON of today's agent (JSON.stringify with an
// indent of 2), or one line per interface.
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../core/interfaces.h"
#include "commands.h"
#include "json.h"
#include "netns-check.h"
#include "options.h"

static void print_addresses(const struct pcore_interface *i) {
  if (i->naddresses == 0) {
    fputs("    \"addresses\": []\n", stdout);
    return;
  }
  fputs("    \"addresses\": [\n", stdout);
  for (size_t j = 0; j < i->naddresses; j++) {
    const struct pcore_address *a = &i->addresses[j];
    printf("      {\n        \"family\": %d,\n        \"address\": \"%s\",\n        \"prefix\": %d\n      }%s\n",
           a->family, a->address, a->prefix, j + 1 < i->naddresses ? "," : "");
  }
  fputs("    ]\n", stdout);
}

static void print_json(const struct pcore_interface_list *list) {
  if (list->count == 0) {
    fputs("[]\n", stdout);
    return;
  }
  fputs("[\n", stdout);
  for (size_t k = 0; k < list->count; k++) {
    const struct pcore_interface *i = &list->items[k];
    fputs("  {\n    \"name\": ", stdout);
    json_string(stdout, i->name);
    printf(",\n    \"index\": %u,\n    \"up\": %s,\n    \"running\": %s,\n    \"loopback\": %s,\n", i->index,
           i->flags & IFF_UP ? "true" : "false", i->flags & IFF_RUNNING ? "true" : "false",
           i->flags & IFF_LOOPBACK ? "true" : "false");
    printf("    \"hatype\": %d,\n    \"mac\": \"%s\",\n    \"rxPackets\": %llu,\n    \"txPackets\": %llu,\n", i->hatype,
           i->mac, i->rx_packets, i->tx_packets);
    print_addresses(i);
    printf("  }%s\n", k + 1 < list->count ? "," : "");
  }
  fputs("]\n", stdout);
}

static void print_text(const struct pcore_interface_list *list) {
  for (size_t k = 0; k < list->count; k++) {
    const struct pcore_interface *i = &list->items[k];
    const char *state = i->flags & IFF_UP ? (i->flags & IFF_LOOPBACK ? "up,loopback" : "up")
                                          : (i->flags & IFF_LOOPBACK ? "down,loopback" : "down");
    printf("%u.%s [%s]", i->index, i->name, state);
    for (size_t j = 0; j < i->naddresses; j++) printf(" %s/%d", i->addresses[j].address, i->addresses[j].prefix);
    fputc('\n', stdout);
  }
}

int run_interfaces(int argc, char **argv) {
  struct interfaces_options o;
  char message[1024];
  if (parse_interfaces_args(argc, argv, &o, message, sizeof(message)) != 0) return report_error("E_USAGE", message);
  struct pcore_interface_list list;
  struct pcore_error e;
  if (list_interfaces_in(o.netns, &list, &e) != 0) return report_error(e.code, e.message);
  if (o.json)
    print_json(&list);
  else
    print_text(&list);
  pcore_free_interfaces(&list);
  return fflush(stdout) == 0 ? 0 : 1;
}
