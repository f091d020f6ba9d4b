#include "filter-text.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

// PROTO,PORT as packet/filter.ts reads it: tcp, udp or sctp (any case), a port 0..65535, blanks
// around either. Anything else with a comma goes to libpcap as it is, which names the problem.
const char *filter_expression(const char *text, char *buf, size_t size) {
  char proto[8];
  unsigned port;
  int port_start = 0, port_end = 0, end = -1;
  if (sscanf(text, " %7[A-Za-z] , %n%u%n %n", proto, &port_start, &port, &port_end, &end) != 2 || end < 0) return text;
  // %u takes signs and blanks; a port is digits only.
  if (text[end] != 0 || port > 65535 || strspn(text + port_start, "0123456789") != (size_t)(port_end - port_start))
    return text;
  if (strcasecmp(proto, "tcp") != 0 && strcasecmp(proto, "udp") != 0 && strcasecmp(proto, "sctp") != 0) return text;
  for (char *c = proto; *c; c++) *c = (char)(*c | 0x20);
  snprintf(buf, size, "%s port %u", proto, port);
  return buf;
}
