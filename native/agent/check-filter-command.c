// `pcap-agent check-filter [--link ethernet|raw] [--events json] EXPR…`: whether a capture filter
// would run, without capturing (no privilege, no kernel): libpcap's compile for the link type, then
// the eBPF translation. Silent with status 0 when it would; an E_FILTER error (status 2) with
// libpcap's message, or the translation's reason, when not. The words of EXPR are joined by spaces,
// as a capture's positional filter is.
#include <stdio.h>
#include <string.h>

#include "../core/filter-compile.h"
#include "../core/filter-ebpf.h"
#include "commands.h"
#include "events.h"
#include "../core/filter-text.h"

#define CHECK_SNAPLEN 262144  // the capture length of a match does not matter here

static int append_word(char *expr, size_t size, const char *word) {
  size_t used = strlen(expr);
  if (used + strlen(word) + 2 > size) return -1;
  if (used) strcat(expr, " ");
  strcat(expr, word);
  return 0;
}

static int check(const char *expr, enum filter_link link) {
  char err[1024];
  struct filter_cbpf cbpf;
  struct filter_ebpf ebpf = {0};
  int rc = filter_compile(expr, link, CHECK_SNAPLEN, 0, &cbpf, err);
  if (rc == 0) {
    rc = filter_translate(cbpf.insns, cbpf.len, &ebpf, err, sizeof(err));
    filter_ebpf_free(&ebpf);
    filter_cbpf_free(&cbpf);
  }
  if (rc == 0) return 0;
  char message[sizeof(err) + 32];
  snprintf(message, sizeof(message), "invalid filter: %s", err);
  return report_error("E_FILTER", message);
}

int run_check_filter(int argc, char **argv) {
  static char expr[4096];
  enum filter_link link = FILTER_LINK_ETHERNET;
  bool words_only = false;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!words_only && strcmp(a, "--") == 0) {
      words_only = true;
    } else if (!words_only && strcmp(a, "--link") == 0 && i + 1 < argc) {
      const char *v = argv[++i];
      if (strcmp(v, "ethernet") != 0 && strcmp(v, "raw") != 0)
        return report_error("E_USAGE", "--link must be ethernet or raw");
      link = strcmp(v, "raw") == 0 ? FILTER_LINK_RAW : FILTER_LINK_ETHERNET;
    } else if (!words_only && strcmp(a, "--events") == 0 && i + 1 < argc && strcmp(argv[i + 1], "json") == 0) {
      i++;  // main() has switched events to JSON already
    } else if (!words_only && a[0] == '-' && a[1]) {
      char message[300];
      snprintf(message, sizeof(message),
               "check-filter: unknown option '%.200s' (a filter word starting with '-' goes after '--')", a);
      return report_error("E_USAGE", message);
    } else if (append_word(expr, sizeof(expr), a) != 0) {
      return report_error("E_USAGE", "the filter is too long");
    }
  }
  char pca_form[32];
  struct pcore_error e;
  const char *text = filter_expression(expr, pca_form, sizeof(pca_form), &e);
  return text ? check(text, link) : report_error(e.code, e.message);
}
