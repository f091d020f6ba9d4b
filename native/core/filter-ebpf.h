// Classic BPF (from filter-compile) translated into the body of an eBPF SCHED_CLS program.
//
// Where it runs (design "A" of the capture-core notes): the translated filter is a program of its
// own, reached by a tail call from the capture program's entry at each hook; on a match it hands
// the packet on with a tail call (capture length in skb->cb), otherwise it returns TCX_NEXT. We
// chose that over patching the filter into the CO-RE capture program because libbpf does not
// re-point jumps, calls, func_info or line_info across a splice, while a program array entry swaps
// atomically per packet (a live filter change) and leaves the capture program compiled by clang as
// it is. Hence all accepting and rejecting paths meet in one epilogue with the verdict in R0, which
// either returns it (what the equivalence test runs with BPF_PROG_TEST_RUN) or makes the tail call.
#ifndef CAPTURE_CORE_FILTER_EBPF_H
#define CAPTURE_CORE_FILTER_EBPF_H

#include <linux/bpf.h>
#include <linux/filter.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct filter_ebpf {
  struct bpf_insn *insns;  // owned; release with filter_ebpf_free
  unsigned int len;
};

// Translates `len` cBPF instructions. The program returns what the cBPF program returns (0 = no
// match, otherwise the number of bytes to capture), reading packet bytes straight from the linear
// area and with bpf_skb_load_bytes beyond it, so bytes in paged data count as they do for tcpdump.
// Returns 0, or -1 with the reason (naming the cBPF instruction) in `err`.
int filter_translate(const struct sock_filter *cbpf, unsigned int len, struct filter_ebpf *out, char *err,
                     size_t err_size);

// Where a translated filter runs in a capture: at one hook (so `inbound`/`outbound`, which libpcap
// compiles to a pkt_type test, know their answer), handing matches on through a program array.
struct filter_hook {
  int direction;    // CAP_DIR_IN or CAP_DIR_OUT (bpf/capture.h)
  int progs_fd;     // the capture object's cap_progs
  __u32 emit_slot;  // CAP_PROG_EMIT(direction)
};

// Like filter_translate, for the capture path: on a match the capture length goes to
// skb->cb[CAP_CB_CAPLEN] and the program tail-calls `hook->emit_slot`; otherwise (or if that slot
// is empty) it returns TCX_NEXT. At egress pkt_type is the constant PACKET_OUTGOING: the kernel's
// own pkt_type is only set so on AF_PACKET's copy, which is what tcpdump's `outbound` tests.
int filter_translate_for_hook(const struct sock_filter *cbpf, unsigned int len, const struct filter_hook *hook,
                              struct filter_ebpf *out, char *err, size_t err_size);

void filter_ebpf_free(struct filter_ebpf *prog);

#ifdef __cplusplus
}
#endif

#endif
