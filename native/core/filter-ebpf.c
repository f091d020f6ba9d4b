// cBPF → eBPF, instruction by instruction (see filter-ebpf.h for where the result runs).
//
// Machine state: R6 = ctx (struct __sk_buff *), R7 = A, R8 = X (callee-saved, so they survive the
// helper calls), M[0..15] = 4-byte stack slots at fp-64 … fp-4, zeroed in the prologue so the
// verifier sees them initialised; fp-72 is the buffer bpf_skb_load_bytes fills. All arithmetic is
// 32-bit (ALU32/JMP32), as cBPF's is, so immediates need no sign-extension tricks.
//
// Packet loads read skb->data directly when the bytes lie in the linear area, and call
// bpf_skb_load_bytes only for bytes past data_end (paged data): a helper call costs more than the
// whole direct read, and a filter like "udp port 9" loads five or six times per packet.
//
// cBPF only jumps forward, so the output is loop-free. Each cBPF instruction becomes a fixed
// number of eBPF instructions, which lets a first pass measure where each one starts and a second
// pass emit jumps with their final offsets. Unreachable cBPF instructions are left out: the
// verifier refuses unreachable code.
#include "filter-ebpf.h"

#include <linux/if_packet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../bpf/capture.h"

enum {
  REG_CTX = BPF_REG_6,
  REG_A = BPF_REG_7,
  REG_X = BPF_REG_8,
  SCRATCH_WORDS = 16,                // BPF_MEMWORDS
  SCRATCH_OFF = -4 * SCRATCH_WORDS,  // M[0] at fp-64
  LOAD_BUF_OFF = SCRATCH_OFF - 8,    // fp-72
  MAX_LOAD_OFFSET = 0x7fffffff,      // bpf_skb_load_bytes refuses offsets above INT_MAX
  MAX_DIRECT_END = 0xffff,           // the verifier's MAX_PACKET_OFF: reads ending past it use the helper
  LABEL_FAIL = -1,                   // returns 0: a load out of the packet, a division by 0
  LABEL_EXIT = -2,                   // the epilogue, verdict in R0
  TCX_NEXT = -1,                     // == TC_ACT_UNSPEC: let the packet go on, untouched
};

struct emitter {
  struct bpf_insn *out;  // NULL while measuring
  unsigned int n;        // instructions emitted so far
  unsigned int *start;   // eBPF index where each cBPF instruction begins
  unsigned int fail_at, exit_at;
  bool uses_fail;
  unsigned int pc;                 // the cBPF instruction being translated, for messages
  const struct filter_hook *hook;  // NULL: the epilogue returns the verdict (tests)
  char *err;
  size_t err_size;
};

static int fail(struct emitter *e, const char *fmt, ...) {
  va_list ap;
  int n = snprintf(e->err, e->err_size, "cBPF instruction %u: ", e->pc);
  va_start(ap, fmt);
  if (n >= 0 && (size_t)n < e->err_size) vsnprintf(e->err + n, e->err_size - n, fmt, ap);
  va_end(ap);
  return -1;
}

static void emit(struct emitter *e, __u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm) {
  if (e->out) e->out[e->n] = (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
  e->n++;
}

// A jump to a cBPF instruction or a label; offsets are only known (and checked) in the second pass.
static int emit_jump(struct emitter *e, __u8 code, __u8 dst, __u8 src, __s32 imm, int target) {
  if (target == LABEL_FAIL) e->uses_fail = true;
  long off = 0;
  if (e->out) {
    unsigned int to = target == LABEL_FAIL ? e->fail_at : target == LABEL_EXIT ? e->exit_at : e->start[target];
    off = (long)to - (long)(e->n + 1);
    if (off < -32768 || off > 32767) return fail(e, "the translated program is too large for a 16-bit jump");
  }
  emit(e, code, dst, src, (__s16)off, imm);
  return 0;
}

static void mov32_imm(struct emitter *e, __u8 dst, __u32 k) {
  emit(e, BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, (__s32)k);
}
static void mov32_reg(struct emitter *e, __u8 dst, __u8 src) {
  emit(e, BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}
static void load_ctx_u32(struct emitter *e, __u8 dst, size_t field) {
  emit(e, BPF_LDX | BPF_MEM | BPF_W, dst, REG_CTX, (__s16)field, 0);
}
static __s16 scratch_off(__u32 k) {
  return (__s16)(SCRATCH_OFF + 4 * (int)k);
}

static void emit_prologue(struct emitter *e) {
  emit(e, BPF_ALU64 | BPF_MOV | BPF_X, REG_CTX, BPF_REG_1, 0, 0);
  mov32_imm(e, REG_A, 0);
  mov32_imm(e, REG_X, 0);
  for (int off = SCRATCH_OFF; off < 0; off += 8) emit(e, BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, (__s16)off, 0);
}

static __u8 size_code(int bytes) {
  return bytes == 4 ? BPF_W : bytes == 2 ? BPF_H : BPF_B;
}

// A forward jump to a spot inside the same translated instruction: emitted with offset 0 and
// pointed at its target by land_here once that is reached (in the emitting pass; the measuring
// pass only counts).
static unsigned int emit_forward_jump(struct emitter *e, __u8 code, __u8 dst, __u8 src, __s32 imm) {
  unsigned int at = e->n;
  emit(e, code, dst, src, 0, imm);
  return at;
}
static void land_here(struct emitter *e, unsigned int jump_at) {
  if (e->out) e->out[jump_at].off = (__s16)(e->n - jump_at - 1);
}

// The jumps out of a direct read, for land_here: to the helper when the bytes are not all in the
// linear area (beyond_limit, beyond_end), past the helper when they were read (done).
struct direct_read {
  unsigned int beyond_limit, beyond_end, done;
};

// dst = the `bytes` bytes at offset R2, read straight from the linear area. `checked`: R2 is a
// constant known not to exceed MAX_DIRECT_END - bytes; otherwise it is tested first, as the
// verifier accepts a variable offset into the packet only when it is bounded.
static struct direct_read read_linear(struct emitter *e, __u8 dst, int bytes, bool checked) {
  struct direct_read r;
  r.beyond_limit = checked ? 0 : emit_forward_jump(e, BPF_JMP | BPF_JGT | BPF_K, BPF_REG_2, 0, MAX_DIRECT_END - bytes);
  load_ctx_u32(e, BPF_REG_1, offsetof(struct __sk_buff, data));
  load_ctx_u32(e, BPF_REG_3, offsetof(struct __sk_buff, data_end));
  emit(e, BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_1, BPF_REG_2, 0, 0);
  emit(e, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_4, BPF_REG_1, 0, 0);
  emit(e, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_4, 0, 0, bytes);
  r.beyond_end = emit_forward_jump(e, BPF_JMP | BPF_JGT | BPF_X, BPF_REG_4, BPF_REG_3, 0);
  emit(e, BPF_LDX | BPF_MEM | size_code(bytes), dst, BPF_REG_1, 0, 0);
  r.done = emit_forward_jump(e, BPF_JMP | BPF_JA, 0, 0, 0);
  return r;
}

// dst = the `bytes` bytes at R2 through bpf_skb_load_bytes, which also reaches paged data; a read
// past the end of the packet jumps to LABEL_FAIL.
static int read_with_helper(struct emitter *e, __u8 dst, int bytes) {
  emit(e, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, REG_CTX, 0, 0);
  emit(e, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0);
  emit(e, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, LOAD_BUF_OFF);
  mov32_imm(e, BPF_REG_4, (__u32)bytes);
  emit(e, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_skb_load_bytes);
  if (emit_jump(e, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 0, LABEL_FAIL)) return -1;
  emit(e, BPF_LDX | BPF_MEM | size_code(bytes), dst, BPF_REG_10, LOAD_BUF_OFF, 0);
  return 0;
}

// dst = packet bytes [offset, offset+bytes) in network order, as cBPF's P[k:n]; out of the packet
// → the filter returns 0, as in libpcap and the kernel. `indirect` adds X to the offset. Both ways
// of reading start from skb->data, so they see the same bytes at the same offsets.
static int load_packet(struct emitter *e, __u8 dst, int bytes, __u32 k, bool indirect) {
  mov32_imm(e, BPF_REG_2, k);
  if (indirect) {
    // X + k in 64 bits: no 32-bit wrap-around back into the packet (libpcap checks the same).
    emit(e, BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_2, REG_X, 0, 0);
    if (emit_jump(e, BPF_JMP | BPF_JGT | BPF_K, BPF_REG_2, 0, MAX_LOAD_OFFSET, LABEL_FAIL)) return -1;
  }
  bool constant_in_reach = !indirect && k <= (__u32)(MAX_DIRECT_END - bytes);
  bool direct = indirect || constant_in_reach;
  struct direct_read r = {0};
  if (direct) {
    r = read_linear(e, dst, bytes, constant_in_reach);
    if (indirect) land_here(e, r.beyond_limit);
    land_here(e, r.beyond_end);
  }
  if (read_with_helper(e, dst, bytes)) return -1;
  if (direct) land_here(e, r.done);
  if (bytes > 1) emit(e, BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, bytes * 8);
  return 0;
}

// Linux's ancillary loads (ld [SKF_AD_OFF + n]), read from __sk_buff as the kernel's cBPF would.
static int load_extension(struct emitter *e, __u8 dst, __u32 k) {
  switch (k - (__u32)SKF_AD_OFF) {
    case SKF_AD_PROTOCOL:
      load_ctx_u32(e, dst, offsetof(struct __sk_buff, protocol));
      emit(e, BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, 16);  // stored in network order
      return 0;
    // At egress the kernel's pkt_type is not PACKET_OUTGOING (AF_PACKET sets that on its own copy):
    // the hook's direction stands in for it.
    case SKF_AD_PKTTYPE:
      if (e->hook && e->hook->direction == CAP_DIR_OUT)
        mov32_imm(e, dst, PACKET_OUTGOING);
      else
        load_ctx_u32(e, dst, offsetof(struct __sk_buff, pkt_type));
      return 0;
    case SKF_AD_IFINDEX: load_ctx_u32(e, dst, offsetof(struct __sk_buff, ifindex)); return 0;
    case SKF_AD_VLAN_TAG: load_ctx_u32(e, dst, offsetof(struct __sk_buff, vlan_tci)); return 0;
    case SKF_AD_VLAN_TAG_PRESENT: load_ctx_u32(e, dst, offsetof(struct __sk_buff, vlan_present)); return 0;
    default: return fail(e, "the Linux cBPF extension SKF_AD_OFF+%u has no eBPF translation", k - (__u32)SKF_AD_OFF);
  }
}

// BPF_LD and BPF_LDX: A or X = an immediate, a scratch word, the packet length or packet bytes.
static int translate_load(struct emitter *e, const struct sock_filter *f) {
  bool to_x = BPF_CLASS(f->code) == BPF_LDX;
  __u8 dst = to_x ? REG_X : REG_A;
  int bytes = BPF_SIZE(f->code) == BPF_W ? 4 : BPF_SIZE(f->code) == BPF_H ? 2 : 1;
  switch (BPF_MODE(f->code)) {
    case BPF_IMM: mov32_imm(e, dst, f->k); return 0;
    case BPF_MEM:
      if (f->k >= SCRATCH_WORDS) return fail(e, "scratch word M[%u] does not exist", f->k);
      emit(e, BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_10, scratch_off(f->k), 0);
      return 0;
    case BPF_LEN: load_ctx_u32(e, dst, offsetof(struct __sk_buff, len)); return 0;
    case BPF_ABS:
      if (!to_x && f->k >= (__u32)SKF_AD_OFF) return load_extension(e, dst, f->k);
      if (f->k >= (__u32)SKF_LL_OFF)
        return fail(e, "negative packet offsets (SKF_NET_OFF, SKF_LL_OFF) are not supported");
      return load_packet(e, dst, bytes, f->k, false);
    case BPF_IND: return load_packet(e, dst, bytes, f->k, true);
    case BPF_MSH:  // X = 4 * (P[k] & 0xf), the IPv4 header length
      if (!to_x) break;
      if (load_packet(e, REG_X, 1, f->k, false)) return -1;
      emit(e, BPF_ALU | BPF_AND | BPF_K, REG_X, 0, 0, 0xf);
      emit(e, BPF_ALU | BPF_LSH | BPF_K, REG_X, 0, 0, 2);
      return 0;
  }
  return fail(e, "unknown load mode 0x%x", f->code);
}

// A <<= / >>= by X: a count of 32 or more gives 0 (libpcap's interpreter; eBPF would mask it).
static void shift_by_x(struct emitter *e, __u8 op) {
  emit(e, BPF_JMP32 | BPF_JLT | BPF_K, REG_X, 0, 2, 32);
  mov32_imm(e, REG_A, 0);
  emit(e, BPF_JMP | BPF_JA, 0, 0, 1, 0);
  emit(e, BPF_ALU | op | BPF_X, REG_A, REG_X, 0, 0);
}

static int translate_alu(struct emitter *e, const struct sock_filter *f) {
  __u8 op = BPF_OP(f->code);  // cBPF and eBPF share the ALU operation codes
  bool by_x = BPF_SRC(f->code) == BPF_X;
  switch (op) {
    case BPF_ADD:
    case BPF_SUB:
    case BPF_MUL:
    case BPF_OR:
    case BPF_AND:
    case BPF_XOR: break;
    case BPF_NEG: emit(e, BPF_ALU | BPF_NEG, REG_A, 0, 0, 0); return 0;
    case BPF_LSH:
    case BPF_RSH:
      if (by_x) {
        shift_by_x(e, op);
        return 0;
      }
      if (f->k >= 32) {  // the verifier refuses such shifts; the result is 0 as for X above
        mov32_imm(e, REG_A, 0);
        return 0;
      }
      break;
    case BPF_DIV:
    case BPF_MOD:
      // cBPF returns 0 (no match) on a division by zero; eBPF would silently go on.
      if (!by_x && f->k == 0) return fail(e, "division by the constant 0");
      if (by_x && emit_jump(e, BPF_JMP32 | BPF_JEQ | BPF_K, REG_X, 0, 0, LABEL_FAIL)) return -1;
      break;
    default: return fail(e, "unknown ALU operation 0x%x", f->code);
  }
  if (by_x)
    emit(e, BPF_ALU | op | BPF_X, REG_A, REG_X, 0, 0);
  else
    emit(e, BPF_ALU | op | BPF_K, REG_A, 0, 0, (__s32)f->k);
  return 0;
}

// jt/jf become "if (cond) goto T; goto F" (the second jump left out when F is the next instruction).
static int translate_jump(struct emitter *e, const struct sock_filter *f) {
  int next = (int)e->pc + 1;
  if (BPF_OP(f->code) == BPF_JA) return emit_jump(e, BPF_JMP | BPF_JA, 0, 0, 0, next + (int)f->k);
  switch (BPF_OP(f->code)) {
    case BPF_JEQ:
    case BPF_JGT:
    case BPF_JGE:
    case BPF_JSET: break;  // same codes in eBPF, unsigned
    default: return fail(e, "unknown jump 0x%x", f->code);
  }
  int t = next + f->jt, fl = next + f->jf;
  if (BPF_SRC(f->code) == BPF_X) {
    if (emit_jump(e, BPF_JMP32 | BPF_OP(f->code) | BPF_X, REG_A, REG_X, 0, t)) return -1;
  } else if (emit_jump(e, BPF_JMP32 | BPF_OP(f->code) | BPF_K, REG_A, 0, (__s32)f->k, t)) {
    return -1;
  }
  return f->jf == 0 ? 0 : emit_jump(e, BPF_JMP | BPF_JA, 0, 0, 0, fl);
}

static int translate_ret(struct emitter *e, const struct sock_filter *f) {
  switch (BPF_RVAL(f->code)) {
    case BPF_K: mov32_imm(e, BPF_REG_0, f->k); break;
    case BPF_A: mov32_reg(e, BPF_REG_0, REG_A); break;
    case BPF_X: mov32_reg(e, BPF_REG_0, REG_X); break;
    default: return fail(e, "unknown return 0x%x", f->code);
  }
  return emit_jump(e, BPF_JMP | BPF_JA, 0, 0, 0, LABEL_EXIT);
}

static int translate_one(struct emitter *e, const struct sock_filter *f) {
  switch (BPF_CLASS(f->code)) {
    case BPF_LD:
    case BPF_LDX: return translate_load(e, f);
    case BPF_ST:
    case BPF_STX:
      if (f->k >= SCRATCH_WORDS) return fail(e, "scratch word M[%u] does not exist", f->k);
      emit(e, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_CLASS(f->code) == BPF_ST ? REG_A : REG_X, scratch_off(f->k),
           0);
      return 0;
    case BPF_ALU: return translate_alu(e, f);
    case BPF_JMP: return translate_jump(e, f);
    case BPF_RET: return translate_ret(e, f);
    case BPF_MISC:
      if (BPF_MISCOP(f->code) == BPF_TAX)
        mov32_reg(e, REG_X, REG_A);
      else if (BPF_MISCOP(f->code) == BPF_TXA)
        mov32_reg(e, REG_A, REG_X);
      else
        return fail(e, "unknown operation 0x%x", f->code);
      return 0;
  }
  return fail(e, "unknown instruction class 0x%x", f->code);
}

// Marks the cBPF instructions some path reaches, checking that every jump lands inside the program
// and that no path runs off its end.
static int mark_reachable(struct emitter *e, const struct sock_filter *cbpf, unsigned int len, bool *reach) {
  reach[0] = true;
  for (e->pc = 0; e->pc < len; e->pc++) {
    if (!reach[e->pc]) continue;
    const struct sock_filter *f = &cbpf[e->pc];
    unsigned long next = e->pc + 1UL, targets[2] = {next, next};
    int n = 1;
    if (BPF_CLASS(f->code) == BPF_RET) continue;
    if (BPF_CLASS(f->code) == BPF_JMP && BPF_OP(f->code) == BPF_JA) {
      // libpcap emits one loop, for `protochain` (its own interpreter allows that; the kernel's
      // cBPF does not, so live tcpdump filters it in user space).
      if ((__s32)f->k < 0) return fail(e, "a backward jump (a loop, as `protochain` compiles to) is not supported");
      targets[0] = next + f->k;
    } else if (BPF_CLASS(f->code) == BPF_JMP) {
      targets[0] = next + f->jt;
      targets[1] = next + f->jf;
      n = 2;
    }
    for (int i = 0; i < n; i++) {
      if (targets[i] >= len) return fail(e, "jumps or runs past the end of the program");
      reach[targets[i]] = true;
    }
  }
  return 0;
}

// The capture path's epilogue (filter_translate_for_hook): a match stores its capture length and
// tail-calls the emit program; no match, or an empty emit slot, returns TCX_NEXT.
static void emit_hook_epilogue(struct emitter *e) {
  emit(e, BPF_JMP32 | BPF_JEQ | BPF_K, BPF_REG_0, 0, 6, 0);  // skips 6: to the TCX_NEXT return
  emit(e, BPF_STX | BPF_MEM | BPF_W, REG_CTX, BPF_REG_0,
       (__s16)(offsetof(struct __sk_buff, cb) + CAP_CB_CAPLEN * sizeof(__u32)), 0);
  emit(e, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, REG_CTX, 0, 0);
  emit(e, BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, BPF_PSEUDO_MAP_FD, 0, e->hook->progs_fd);
  emit(e, 0, 0, 0, 0, 0);  // second half of the 64-bit immediate
  emit(e, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, (__s32)e->hook->emit_slot);
  emit(e, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call);
  emit(e, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, TCX_NEXT);
  emit(e, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

// One pass over the program; with e->out NULL it only measures.
static int translate_pass(struct emitter *e, const struct sock_filter *cbpf, unsigned int len, const bool *reach) {
  e->n = 0;
  emit_prologue(e);
  for (e->pc = 0; e->pc < len; e->pc++) {
    e->start[e->pc] = e->n;
    if (reach[e->pc] && translate_one(e, &cbpf[e->pc])) return -1;
  }
  if (e->uses_fail) {
    e->fail_at = e->n;
    mov32_imm(e, BPF_REG_0, 0);
  }
  e->exit_at = e->n;
  if (e->hook)
    emit_hook_epilogue(e);
  else
    emit(e, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  return 0;
}

static int translate(const struct sock_filter *cbpf, unsigned int len, const struct filter_hook *hook,
                     struct filter_ebpf *out, char *err, size_t err_size) {
  struct emitter e = {.hook = hook, .err = err, .err_size = err_size};
  out->insns = NULL;
  out->len = 0;
  if (len == 0) {
    snprintf(err, err_size, "the cBPF program is empty");
    return -1;
  }
  bool *reach = calloc(len, sizeof(*reach));
  e.start = calloc(len, sizeof(*e.start));
  int rc = -1;
  if (!reach || !e.start) {
    snprintf(err, err_size, "out of memory translating a %u-instruction filter", len);
  } else if (mark_reachable(&e, cbpf, len, reach) == 0 && translate_pass(&e, cbpf, len, reach) == 0) {
    e.out = calloc(e.n, sizeof(*e.out));
    if (!e.out)
      snprintf(err, err_size, "out of memory for a %u-instruction eBPF program", e.n);
    else if (translate_pass(&e, cbpf, len, reach) == 0)
      rc = 0;
  }
  if (rc == 0) {
    out->insns = e.out;
    out->len = e.n;
  } else {
    free(e.out);
  }
  free(reach);
  free(e.start);
  return rc;
}

int filter_translate(const struct sock_filter *cbpf, unsigned int len, struct filter_ebpf *out, char *err,
                     size_t err_size) {
  return translate(cbpf, len, NULL, out, err, err_size);
}

int filter_translate_for_hook(const struct sock_filter *cbpf, unsigned int len, const struct filter_hook *hook,
                              struct filter_ebpf *out, char *err, size_t err_size) {
  return translate(cbpf, len, hook, out, err, err_size);
}

void filter_ebpf_free(struct filter_ebpf *prog) {
  free(prog->insns);
  prog->insns = NULL;
  prog->len = 0;
}
