// Command-line parsing of `interfaces` and `capture`, as agent/options.ts does it: everything is
// validated before anything touches the kernel, and each error names what is wrong.
#ifndef PCAP_AGENT_OPTIONS_H
#define PCAP_AGENT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_INTERFACES 64

struct interfaces_options {
  char netns[4096];  // "" or a path: NAME is resolved to /run/netns/NAME
  bool json;
};

struct capture_options {
  const char *interfaces[MAX_INTERFACES];
  size_t ninterfaces;
  char netns[4096];
  char filter[4096];
  uint32_t snaplen;
  uint32_t directions;  // bits 1 << CAP_DIR_*
  uint64_t count;       // 0: no limit
  const char *write;    // "-" = stdout
  bool overwrite;
  bool events_json;
  uint32_t ring_bytes;
  bool force_clsact;
};

// Each returns 0, or -1 with `message` set (a usage error).
int parse_interfaces_args(int argc, char **argv, struct interfaces_options *o, char *message, size_t size);
int parse_capture_args(int argc, char **argv, struct capture_options *o, char *message, size_t size);

#endif
