#include "ebpf-run.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <unistd.h>

#include "filter-ebpf.h"
#include "filter-load.h"

struct loaded_filter load_filter(const struct sock_filter *cbpf, unsigned int len, char *err, size_t err_size) {
  struct filter_ebpf prog;
  struct loaded_filter loaded = {.fd = -1};
  if (filter_translate(cbpf, len, &prog, err, err_size) != 0) return loaded;
  loaded.fd = filter_ebpf_load(&prog, err, err_size);
  loaded.ebpf_len = prog.len;
  struct bpf_prog_info info = {0};
  __u32 info_len = sizeof(info);
  if (loaded.fd >= 0 && bpf_obj_get_info_by_fd(loaded.fd, &info, &info_len) == 0) loaded.verified = info.verified_insns;
  filter_ebpf_free(&prog);
  return loaded;
}

int run_filter(int fd, const unsigned char *frame, unsigned int len, unsigned int *verdict) {
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .repeat = 1);
  if (bpf_prog_test_run_opts(fd, &opts) != 0) return -errno;
  *verdict = opts.retval;
  return 0;
}
