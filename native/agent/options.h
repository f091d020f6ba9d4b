// Command-line parsing of `interfaces` and `capture`, as agent/options.ts does it: everything is
// validated before anything touches the kernel, and each error names what is wrong.
#ifndef PCAP_AGENT_OPTIONS_H
#define PCAP_AGENT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_INTERFACES 64
#define MAX_TOKEN_BYTES 4096

// --listen HOST:PORT, PCA_SERVER_HOST/PCA_SERVER_PORT.
struct listen_address {
  char host[64];
  unsigned port;
};

struct interfaces_options {
  char netns[4096];  // "" or a path: NAME is resolved to /run/netns/NAME
  bool json;
};

struct capture_options {
  const char *interfaces[MAX_INTERFACES];
  size_t ninterfaces;
  char netns[4096];
  char filter[4096];
  char exclude[4096];  // --exclude: never captured, whatever the filter; "" for none
  uint32_t snaplen;
  uint32_t directions;   // bits 1 << CAP_DIR_*
  uint64_t count;        // 0: no limit
  uint64_t max_bytes;    // 0: no limit
  uint64_t duration_ms;  // 0: no limit
  bool pcap_format;      // --format pcap (else pcapng)
  bool nanosecond_pcap;  // --nano
  bool listen;           // --listen given: listen_at is set
  struct listen_address listen_at;
  bool has_token;  // from --token-file or PCAP_AGENT_TOKEN; never from the command line
  char token[MAX_TOKEN_BYTES + 1];
  const char *write;  // "-" = stdout
  bool overwrite;
  bool events_json;
  uint32_t ring_bytes;
  bool force_clsact;
  bool processes;               // --processes, or implied by --pid, --cgroup, --container: packets carry their process
  bool processes_if_available;  // --processes-if-available: a host that cannot attribute captures without
  uint32_t pid;                 // --pid: only this process and its descendants; 0 for none
  char cgroup[4096];            // --cgroup: only the processes of this cgroup v2 (and below); "" for none
  char container[4096];         // --container: only the processes of this container; "" for none
};

// Each returns 0, or -1 with `message` set (a usage error; for capture, *code says which:
// E_USAGE, or E_LISTEN for a server refused without a token).
int parse_interfaces_args(int argc, char **argv, struct interfaces_options *o, char *message, size_t size);
int parse_capture_args(int argc, char **argv, struct capture_options *o, const char **code, char *message, size_t size);

// Shared with the PCA mode. Each returns 0, or -1 with `message` set.
int parse_listen(const char *text, const char *what, struct listen_address *out, char *message, size_t size);
int whole_number_of(const char *name, const char *text, uint64_t min, uint64_t max, uint64_t *out, char *message,
                    size_t size);
bool is_ip_address(const char *host);
bool is_loopback(const char *host);
// -B in KiB like tcpdump, as a power-of-two ring of at least a page.
int ring_bytes_from_kib(const char *text, uint32_t *out, char *message, size_t size);
// tcpdump's rule: -s 0 means the maximum.
int snaplen_of(const char *name, const char *text, uint32_t *out, char *message, size_t size);

#endif
