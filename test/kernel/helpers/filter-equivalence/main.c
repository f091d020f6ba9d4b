// filter-equivalence: does the eBPF translation of a filter match exactly the packets libpcap's own
// interpreter matches? No traffic is needed: packets come from capture files and run through both.
//
//   filter-equivalence SNAPLEN CAPTURE... < expressions (one a line)
//
// For each expression and each link type (Ethernet, raw IP) the filter is compiled by libpcap,
// translated and loaded as SCHED_CLS (so the verifier judges every program). Then for every packet
// of every Ethernet or raw-IP capture, libpcap's verdict (pcap_offline_filter) is compared with the
// eBPF program's (BPF_PROG_TEST_RUN on the same bytes). A packet counts as its captured bytes: the
// interpreter is told len = caplen, as the kernel program only has those bytes to look at. The
// netmask is 0, as tcpdump's for `-r`.
//
// Output, one JSON object a line: "expression" (per expression and link type: instruction counts or
// libpcap's error), "capture" (per file: compared, skipped), "mismatch" (each disagreement), and
// per expression and link type a "result" (packets compared, packets matched), and one "summary". Exit status 0 unless
// the tool itself failed.
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf-run.h"
#include "filter-compile.h"

enum {
  MAX_EXPRESSIONS = 256,
  LINKS = 2,            // enum filter_link
  ETH_HEADER_LEN = 14,  // test_run's smallest frame
  TEST_RUN_MAX = 1514,  // test_run's largest frame is a page minus skb overhead: above an Ethernet MTU
};

struct compiled {
  char error[FILTER_ERR_SIZE];
  struct filter_cbpf cbpf;
  struct loaded_filter ebpf;
  int ok;
  unsigned long compared, matched;  // packets judged, and those libpcap's verdict accepts
};

struct totals {
  unsigned long packets, comparisons, mismatches, untestable;
  unsigned int max_ebpf_len, max_cbpf_len, max_verified;
};

static void print_json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20)
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  putchar('"');
}

static const char *link_name(enum filter_link link) {
  return link == FILTER_LINK_RAW ? "raw" : "ethernet";
}

static void compile_one(const char *expr, enum filter_link link, unsigned int snaplen, struct compiled *c,
                        struct totals *t) {
  memset(c, 0, sizeof(*c));
  c->ebpf.fd = -1;
  if (filter_compile(expr, link, snaplen, 0, &c->cbpf, c->error) == 0) {
    c->ebpf = load_filter(c->cbpf.insns, c->cbpf.len, c->error, sizeof(c->error));
    c->ok = c->ebpf.fd >= 0;
  }
  printf("{\"type\":\"expression\",\"expr\":");
  print_json_string(expr);
  printf(",\"link\":\"%s\",\"compiled\":%s", link_name(link), c->cbpf.insns ? "true" : "false");
  if (c->ok) {
    printf(",\"cbpf\":%u,\"ebpf\":%u,\"verified\":%u}\n", c->cbpf.len, c->ebpf.ebpf_len, c->ebpf.verified);
    if (c->ebpf.verified > t->max_verified) t->max_verified = c->ebpf.verified;
    if (c->ebpf.ebpf_len > t->max_ebpf_len) t->max_ebpf_len = c->ebpf.ebpf_len;
    if (c->cbpf.len > t->max_cbpf_len) t->max_cbpf_len = c->cbpf.len;
  } else {
    printf(",\"error\":");
    print_json_string(c->error);
    printf("}\n");
  }
}

static int link_of(pcap_t *p, enum filter_link *link) {
  switch (pcap_datalink(p)) {
    case DLT_EN10MB: *link = FILTER_LINK_ETHERNET; return 0;
    case DLT_RAW: *link = FILTER_LINK_RAW; return 0;
    default: return -1;
  }
}

// One packet against every expression; returns -1 when the kernel refuses to run a program.
static int compare_packet(const char *file, unsigned long index, const struct pcap_pkthdr *h, const u_char *bytes,
                          struct compiled (*exprs)[LINKS], enum filter_link link, char **texts, int n,
                          struct totals *t) {
  struct pcap_pkthdr as_captured = *h;
  as_captured.len = h->caplen;
  for (int i = 0; i < n; i++) {
    struct compiled *c = &exprs[i][link];
    if (!c->ok) continue;
    struct bpf_program prog = {.bf_len = c->cbpf.len, .bf_insns = (struct bpf_insn *)c->cbpf.insns};
    unsigned int want = (unsigned int)pcap_offline_filter(&prog, &as_captured, bytes), got = 0;
    int rc = run_filter(c->ebpf.fd, bytes, h->caplen, &got);
    if (rc == -EINVAL && (h->caplen < ETH_HEADER_LEN || h->caplen > TEST_RUN_MAX)) {
      t->untestable++;
      continue;
    }
    if (rc != 0) {
      fprintf(stderr, "filter-equivalence: BPF_PROG_TEST_RUN failed (%s) on %s packet %lu\n", strerror(-rc), file,
              index);
      return -1;
    }
    t->comparisons++;
    c->compared++;
    c->matched += want != 0;
    if (want == got) continue;
    t->mismatches++;
    printf("{\"type\":\"mismatch\",\"file\":");
    print_json_string(file);
    printf(",\"packet\":%lu,\"caplen\":%u,\"expr\":", index, h->caplen);
    print_json_string(texts[i]);
    printf(",\"libpcap\":%u,\"ebpf\":%u}\n", want, got);
  }
  return 0;
}

static void print_skipped(const char *file, const char *why) {
  printf("{\"type\":\"capture\",\"file\":");
  print_json_string(file);
  printf(",\"skipped\":");
  print_json_string(why);
  printf("}\n");
}

// Every packet of one capture file; files of other link types are reported as skipped.
static int compare_capture(const char *file, struct compiled (*exprs)[LINKS], char **texts, int n, struct totals *t) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline(file, err);
  enum filter_link link;
  if (!p) {
    print_skipped(file, err);
    return 0;
  }
  if (link_of(p, &link) != 0) {
    const char *name = pcap_datalink_val_to_name(pcap_datalink(p));
    print_skipped(file, name ? name : "unknown link type");
    pcap_close(p);
    return 0;
  }
  struct pcap_pkthdr *h;
  const u_char *bytes;
  unsigned long index = 0, before = t->comparisons;
  int rc, status = 0;
  while (status == 0 && (rc = pcap_next_ex(p, &h, &bytes)) == 1) {
    index++;
    t->packets++;
    status = compare_packet(file, index, h, bytes, exprs, link, texts, n, t);
  }
  printf("{\"type\":\"capture\",\"file\":");
  print_json_string(file);
  printf(",\"link\":\"%s\",\"packets\":%lu,\"comparisons\":%lu", link_name(link), index, t->comparisons - before);
  if (status == 0 && rc == PCAP_ERROR) {  // tcpdump's corpus holds deliberately damaged files
    printf(",\"readError\":");
    print_json_string(pcap_geterr(p));
  }
  printf("}\n");
  pcap_close(p);
  return status;
}

static int read_expressions(char **texts) {
  static char line[4096];
  int n = 0;
  while (fgets(line, sizeof(line), stdin)) {
    line[strcspn(line, "\n")] = 0;
    if (!line[0]) continue;
    if (n == MAX_EXPRESSIONS) {
      fprintf(stderr, "filter-equivalence: more than %d expressions\n", MAX_EXPRESSIONS);
      return -1;
    }
    texts[n++] = strdup(line);
  }
  return n;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: filter-equivalence SNAPLEN CAPTURE... < expressions\n");
    return 2;
  }
  unsigned int snaplen = (unsigned int)strtoul(argv[1], NULL, 10);
  static char *texts[MAX_EXPRESSIONS];
  static struct compiled exprs[MAX_EXPRESSIONS][LINKS];
  struct totals t = {0};
  int n = read_expressions(texts);
  if (n < 0) return 1;
  for (int i = 0; i < n; i++)
    for (int link = 0; link < LINKS; link++)
      compile_one(texts[i], (enum filter_link)link, snaplen, &exprs[i][link], &t);
  for (int f = 2; f < argc; f++)
    if (compare_capture(argv[f], exprs, texts, n, &t) != 0) return 1;
  for (int i = 0; i < n; i++) {
    for (int link = 0; link < LINKS; link++) {
      printf("{\"type\":\"result\",\"expr\":");
      print_json_string(texts[i]);
      printf(",\"link\":\"%s\",\"compared\":%lu,\"matched\":%lu}\n", link_name((enum filter_link)link),
             exprs[i][link].compared, exprs[i][link].matched);
    }
  }
  printf(
      "{\"type\":\"summary\",\"expressions\":%d,\"packets\":%lu,\"comparisons\":%lu,\"mismatches\":%lu,"
      "\"untestable\":%lu,\"maxCbpf\":%u,\"maxEbpf\":%u,\"maxVerified\":%u}\n",
      n, t.packets, t.comparisons, t.mismatches, t.untestable, t.max_cbpf_len, t.max_ebpf_len, t.max_verified);
  return 0;
}
