#include "pca-filter.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

// The text between `from` and `to` without the blanks around it.
static void trimmed(const char *from, const char *to, char *out, size_t size) {
  while (from < to && isspace((unsigned char)*from)) from++;
  while (to > from && isspace((unsigned char)to[-1])) to--;
  size_t n = (size_t)(to - from) < size - 1 ? (size_t)(to - from) : size - 1;
  memcpy(out, from, n);
  out[n] = 0;
}

int pca_filter_expression(const char *text, char *out, size_t size, char *message, size_t message_size) {
  const char *comma = strchr(text, ',');
  if (!comma) return snprintf(message, message_size, "expected PROTO,PORT (e.g. tcp,80)"), -1;
  const char *extra = strchr(comma + 1, ',');
  if (extra)
    return snprintf(message, message_size, "expected PROTO,PORT (e.g. tcp,80): unexpected \",\" at %d",
                    (int)(extra - text)),
           -1;
  char proto[64], port[64];
  trimmed(text, comma, proto, sizeof(proto));
  trimmed(comma + 1, comma + strlen(comma), port, sizeof(port));
  if (!*proto)
    return snprintf(message, message_size, "expected a protocol before \",\" at %d", (int)(comma - text)), -1;
  if (!*port)
    return snprintf(message, message_size, "expected a port number after \"%s,\" at %d", proto, (int)strlen(text)), -1;
  static const char *const known[] = {"tcp", "udp", "sctp", "icmp", "icmp6"};
  const char *name = NULL;
  for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++)
    if (strcasecmp(proto, known[i]) == 0) name = known[i];
  if (!name)
    return snprintf(message, message_size, "unknown protocol \"%s\" (expected tcp, udp, sctp, icmp or icmp6)", proto),
           -1;
  if (strncmp(name, "icmp", 4) == 0)
    return snprintf(message, message_size, "%s has no ports; write \"%s\" alone", name, name), -1;
  if (strspn(port, "0123456789") != strlen(port))
    return snprintf(message, message_size, "invalid port \"%s\" (expected a number 0-65535)", port), -1;
  unsigned long n = strtoul(port, NULL, 10);
  if (n > 65535)  // strtoul saturates: longer numbers land here too
    return snprintf(message, message_size, "port %s is out of range (0-65535)", port), -1;
  snprintf(out, size, "%s port %lu", name, n);
  return 0;
}
