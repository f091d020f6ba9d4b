// bpf_prog_load from libbpf's low-level API: no object file, no skeleton.
#include "filter-load.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { VERIFIER_LOG_SIZE = 1 << 20, VERIFIER_LOG_TAIL = 512 };

// The end of the verifier's log: where it stopped, and why.
static const char *log_tail(const char *log) {
  size_t n = strlen(log);
  while (n > 0 && log[n - 1] == '\n') n--;
  return n > VERIFIER_LOG_TAIL ? log + n - VERIFIER_LOG_TAIL : log;
}

int filter_ebpf_load(const struct filter_ebpf *prog, char *err, size_t err_size) {
  // libbpf retries with the log enabled when the first attempt (log level 0) fails.
  char *log = calloc(1, VERIFIER_LOG_SIZE);
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = log ? VERIFIER_LOG_SIZE : 0);
  int fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "pcap_filter", "Dual BSD/GPL", prog->insns, prog->len, &opts);
  if (fd < 0) {
    int e = errno;
    snprintf(err, err_size, "the kernel refused the %u-instruction filter program (%s)%s%s", prog->len, strerror(e),
             log && log[0] ? ": " : "", log ? log_tail(log) : "");
    fd = -e;
  }
  free(log);
  return fd;
}
