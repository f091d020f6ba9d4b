// When eBPF cannot load or attach, the error names what is missing: which capabilities, the
// locked-memory limit, BTF, the bpf() system call. The host's facts are read only when something has failed.
#ifndef PCAP_AGENT_BPF_ERRORS_H
#define PCAP_AGENT_BPF_ERRORS_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/error.h"

struct bpf_host_facts {
  bool cap_known;
  uint64_t cap_eff;  // this process's effective capabilities
  bool btf;          // /sys/kernel/btf/vmlinux exists
  bool memlock_known, memlock_unlimited;
  uint64_t memlock_bytes;  // RLIMIT_MEMLOCK (soft)
  char kernel[128];        // uname -r
};

void read_bpf_host_facts(struct bpf_host_facts *f);

// Adds to e->message (and corrects e->code) what the host lacks. `load`: the error came from
// loading the BPF object (privilege first, then the kernel features the programs need).
void explain_bpf_error(struct pcore_error *e, bool load, const struct bpf_host_facts *facts);

#endif
