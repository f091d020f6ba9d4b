// pcap_compile on a dead handle: no device, no capability, only libpcap's code generator.
#include "filter-compile.h"

#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

// The copy below relies on both structs having one layout.
_Static_assert(sizeof(struct bpf_insn) == sizeof(struct sock_filter), "cBPF instruction layouts differ");
_Static_assert(FILTER_ERR_SIZE >= PCAP_ERRBUF_SIZE, "FILTER_ERR_SIZE is smaller than libpcap's messages");

static int dlt_of(enum filter_link link) {
  return link == FILTER_LINK_RAW ? DLT_RAW : DLT_EN10MB;
}

static void copy_program(const struct bpf_program *from, struct filter_cbpf *to) {
  for (unsigned int i = 0; i < from->bf_len; i++) {
    const struct bpf_insn *in = &from->bf_insns[i];
    to->insns[i] = (struct sock_filter){.code = in->code, .jt = in->jt, .jf = in->jf, .k = in->k};
  }
  to->len = from->bf_len;
}

int filter_compile(const char *expr, enum filter_link link, unsigned int snaplen, unsigned int netmask,
                   struct filter_cbpf *out, char err[FILTER_ERR_SIZE]) {
  out->insns = NULL;
  out->len = 0;
  pcap_t *dead = pcap_open_dead(dlt_of(link), (int)snaplen);
  if (!dead) {
    snprintf(err, FILTER_ERR_SIZE, "libpcap could not open a handle to compile with");
    return -1;
  }
  struct bpf_program prog;
  int rc = pcap_compile(dead, &prog, expr, 1, netmask);
  if (rc != 0) {
    snprintf(err, FILTER_ERR_SIZE, "%s", pcap_geterr(dead));
  } else {
    out->insns = calloc(prog.bf_len, sizeof(*out->insns));
    if (out->insns)
      copy_program(&prog, out);
    else
      snprintf(err, FILTER_ERR_SIZE, "out of memory for a %u-instruction filter", prog.bf_len);
    rc = out->insns ? 0 : -1;
    pcap_freecode(&prog);
  }
  pcap_close(dead);
  return rc;
}

void filter_cbpf_free(struct filter_cbpf *prog) {
  free(prog->insns);
  prog->insns = NULL;
  prog->len = 0;
}
