// The eBPF half of the equivalence tool (<linux/bpf.h> may not meet <pcap/pcap.h> in one file).
#ifndef FILTER_EQUIVALENCE_EBPF_RUN_H
#define FILTER_EQUIVALENCE_EBPF_RUN_H

#include <stddef.h>

struct sock_filter;

struct loaded_filter {
  int fd;                 // < 0 when `error` says why there is no program
  unsigned int ebpf_len;  // instructions the verifier accepted
  unsigned int verified;  // instructions the verifier walked to accept them (all paths)
};

// Translates and loads a cBPF program; on failure fd < 0 and `err` holds the reason.
struct loaded_filter load_filter(const struct sock_filter *cbpf, unsigned int len, char *err, size_t err_size);

// Runs the program once on `frame` as BPF_PROG_TEST_RUN does for tc: returns 0 and the program's
// return value, or -errno (EINVAL for a frame test_run cannot carry: under 14 bytes or over a page).
int run_filter(int fd, const unsigned char *frame, unsigned int len, unsigned int *verdict);

#endif
