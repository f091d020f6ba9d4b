#define _GNU_SOURCE
#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"

static bool use_json;

void events_use_json(bool json) {
  use_json = json;
}

// JavaScript's Date.toISOString(): UTC, milliseconds, "Z".
static void iso_time(char *out, size_t size) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct tm tm;
  gmtime_r(&now.tv_sec, &tm);
  size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, size - n, ".%03ldZ", now.tv_nsec / 1000000);
}

// One event is assembled in memory and written with one write(2), so lines never interleave.
static FILE *begin(const char *event, char **text, size_t *len) {
  FILE *f = open_memstream(text, len);
  if (f && use_json) fprintf(f, "{\"event\":\"%s\"", event);
  if (f && !use_json) fputs("pcap-agent: ", f);
  return f;
}

static void finish(FILE *f, char **text, size_t *len) {
  if (!f) return;
  if (use_json) {
    char time[40];
    iso_time(time, sizeof(time));
    fprintf(f, ",\"time\":\"%s\"}", time);
  }
  fputc('\n', f);
  fclose(f);
  for (size_t off = 0; off < *len;) {
    ssize_t n = write(STDERR_FILENO, *text + off, *len - off);
    if (n <= 0) break;
    off += (size_t)n;
  }
  free(*text);
}

static void json_field(FILE *f, const char *key, const char *value) {
  fprintf(f, ",\"%s\":", key);
  json_string(f, value);
}

static void json_totals(FILE *f, const struct totals *t) {
  fprintf(f, ",\"packets\":%llu,\"bytes\":%llu,\"kernelDropped\":%llu,\"sinkDropped\":%llu",
          (unsigned long long)t->packets, (unsigned long long)t->bytes, (unsigned long long)t->kernel_dropped,
          (unsigned long long)t->sink_dropped);
}

static void json_interface(FILE *f, const struct attached_interface *i) {
  fputs("{\"name\":", f);
  json_string(f, i->name);
  fprintf(f, ",\"ifindex\":%u,\"mode\":\"%s\"}", i->ifindex, i->mode);
}

void event_started(const struct attached_interface *ifaces, size_t n, const char *filter, const char *exclude,
                   uint32_t snaplen, const char *format, bool processes) {
  char *text;
  size_t len;
  FILE *f = begin("started", &text, &len);
  if (!f) return;
  if (use_json) {
    fputs(",\"interfaces\":[", f);
    for (size_t i = 0; i < n; i++) {
      if (i) fputc(',', f);
      json_interface(f, &ifaces[i]);
    }
    fputc(']', f);
    json_field(f, "filter", filter);
    if (*exclude) json_field(f, "exclude", exclude);
    fprintf(f, ",\"snaplen\":%u", snaplen);
    json_field(f, "format", format);
    fprintf(f, ",\"processes\":%s", processes ? "true" : "false");
  } else {
    fputs("capturing on ", f);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%s (%s)", i ? ", " : "", ifaces[i].name, ifaces[i].mode);
    if (*filter) fprintf(f, ", filter \"%s\"", filter);
    fprintf(f, ", snaplen %u, %s%s", snaplen, format, processes ? ", with processes" : "");
  }
  finish(f, &text, &len);
}

void event_stats(const struct totals *t, const struct interface_stats *ifaces, size_t n) {
  if (!use_json) return;  // no human line for statistics
  char *text;
  size_t len;
  FILE *f = begin("stats", &text, &len);
  if (!f) return;
  json_totals(f, t);
  fputs(",\"interfaces\":[", f);
  for (size_t i = 0; i < n; i++) {
    fputs(i ? ",{\"name\":" : "{\"name\":", f);
    json_string(f, ifaces[i].name);
    fprintf(f, ",\"ifindex\":%u,\"seen\":%llu,\"matched\":%llu,\"captured\":%llu,\"dropped\":%llu}", ifaces[i].ifindex,
            (unsigned long long)ifaces[i].seen, (unsigned long long)ifaces[i].matched,
            (unsigned long long)ifaces[i].captured, (unsigned long long)ifaces[i].dropped);
  }
  fputc(']', f);
  finish(f, &text, &len);
}

void event_stopped(const char *reason, const struct totals *t) {
  char *text;
  size_t len;
  FILE *f = begin("stopped", &text, &len);
  if (!f) return;
  if (use_json) {
    json_field(f, "reason", reason);
    json_totals(f, t);
  } else {
    fprintf(f,
            "stopped (%s): %llu packets, %llu bytes written; %llu dropped in the kernel (ring full), %llu dropped for "
            "slow readers",
            reason, (unsigned long long)t->packets, (unsigned long long)t->bytes, (unsigned long long)t->kernel_dropped,
            (unsigned long long)t->sink_dropped);
  }
  finish(f, &text, &len);
}

void event_filter(const char *filter) {
  char *text;
  size_t len;
  FILE *f = begin("filter", &text, &len);
  if (!f) return;
  if (use_json)
    json_field(f, "filter", filter);
  else
    fprintf(f, "filter now \"%s\"", filter);
  finish(f, &text, &len);
}

// An event that carries a stable code and a sentence; its human form is `prefix` and the sentence.
static void coded_event(const char *name, const char *code, const char *message, const char *prefix) {
  char *text;
  size_t len;
  FILE *f = begin(name, &text, &len);
  if (!f) return;
  if (use_json) {
    json_field(f, "code", code);
    json_field(f, "message", message);
  } else {
    fprintf(f, "%s%s", prefix, message);
  }
  finish(f, &text, &len);
}

void event_error(const char *code, const char *message) {
  coded_event("error", code, message, "");
}

void event_warning(const char *code, const char *message) {
  coded_event("warning", code, message, "warning: ");
}

void warn_tokenless(const char *host, unsigned port, const char *why) {
  char message[512];
  snprintf(message, sizeof(message), "serving captures on %s:%u without a token (%s): any local user can read them",
           host, port, why);
  event_warning("W_NO_TOKEN", message);
}

void event_attached(const struct attached_interface *iface) {
  char *text;
  size_t len;
  FILE *f = begin("attached", &text, &len);
  if (!f) return;
  if (use_json) {
    fputs(",\"interface\":", f);
    json_interface(f, iface);
  } else {
    fprintf(f, "capturing on %s (%s)", iface->name, iface->mode);
  }
  finish(f, &text, &len);
}

void event_clients(int count) {
  char *text;
  size_t len;
  FILE *f = begin("clients", &text, &len);
  if (!f) return;
  if (use_json)
    fprintf(f, ",\"count\":%d", count);
  else
    fprintf(f, "%d client%s connected", count, count == 1 ? "" : "s");
  finish(f, &text, &len);
}

void event_refused(const char *reason, int limit, const char *peer) {
  char *text;
  size_t len;
  FILE *f = begin("refused", &text, &len);
  if (!f) return;
  if (use_json) {
    json_field(f, "reason", reason);
    fprintf(f, ",\"limit\":%d", limit);
    json_field(f, "peer", peer);
  } else if (strcmp(reason, "too-many-clients") == 0) {
    fprintf(f, "refused a client from %s: %d clients are connected, the most served at once", peer, limit);
  } else {
    fprintf(f, "refused a client from %s: %d clients are already logging in, the most at once", peer, limit);
  }
  finish(f, &text, &len);
}

static void json_verdicts(FILE *f, const char *key, const struct verdict *v, size_t n) {
  fprintf(f, ",\"%s\":[", key);
  for (size_t i = 0; i < n; i++) {
    fputs(i ? ",{\"name\":" : "{\"name\":", f);
    json_string(f, v[i].name);
    json_field(f, "reason", v[i].reason);
    fputc('}', f);
  }
  fputc(']', f);
}

static void human_verdicts(FILE *f, const struct verdict *v, size_t n) {
  for (size_t i = 0; i < n; i++) fprintf(f, "%s%s (%s)", i ? ", " : "", v[i].name, v[i].reason);
}

void event_interfaces(const struct verdict *chosen, size_t nchosen, const struct verdict *left, size_t nleft) {
  char *text;
  size_t len;
  FILE *f = begin("interfaces", &text, &len);
  if (!f) return;
  if (use_json) {
    json_verdicts(f, "chosen", chosen, nchosen);
    json_verdicts(f, "left", left, nleft);
  } else {
    fputs("PCA interfaces: ", f);
    human_verdicts(f, chosen, nchosen);
    if (nleft) fputs("; left out: ", f);
    human_verdicts(f, left, nleft);
  }
  finish(f, &text, &len);
}

int exit_status(const char *code) {
  static const char *const user[] = {"E_USAGE", "E_FILTER", "E_NO_INTERFACE", "E_NO_NETNS", "E_OUTPUT", "E_LISTEN"};
  static const char *const host[] = {"E_PRIVILEGE", "E_NO_BPF", "E_ADDON", "E_NO_ATTRIBUTION"};
  for (size_t i = 0; i < sizeof(user) / sizeof(*user); i++)
    if (strcmp(code, user[i]) == 0) return 2;
  for (size_t i = 0; i < sizeof(host) / sizeof(*host); i++)
    if (strcmp(code, host[i]) == 0) return 3;
  return 1;
}
