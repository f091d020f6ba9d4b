#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../bpf/capture.h"

#define DEFAULT_RING_KIB (16 * 1024)

enum { FLAG, VALUE };

struct option_spec {
  const char *name;  // long name, without "--"
  char letter;       // short name, or 0
  int kind;          // FLAG or VALUE
};

// Options of today's agent that this one does not implement yet: refused, not ignored.
static const char *const not_yet[] = {"exclude", "max-bytes", "duration",   "format",  "nano",
                                      "listen",  "token",     "token-file", "no-token"};

struct parser {
  char *message;
  size_t size;
};

static int fail(struct parser *p, const char *fmt, const char *a, const char *b) {
  snprintf(p->message, p->size, fmt, a, b);
  return -1;
}

static const struct option_spec *find(const struct option_spec *specs, const char *name, char letter) {
  for (; specs->name; specs++)
    if (name ? strcmp(specs->name, name) == 0 : specs->letter == letter && letter) return specs;
  return NULL;
}

typedef int (*option_fn)(void *target, const struct option_spec *spec, const char *value, struct parser *p);
typedef int (*positional_fn)(void *target, const char *value, struct parser *p);

static int unknown(struct parser *p, const char *arg) {
  return fail(p,
              "Unknown option '%s'. To specify a positional argument starting with a '-', place it at the end of the "
              "command after '--', as in '-- \"%s\"",
              arg, arg);
}

// Splits one argument (--name, --name=value, -x, -xVALUE) and takes its value from the next
// argument when needed. Returns how many arguments it used, or -1.
static int parse_option(char **argv, int i, int argc, const struct option_spec *specs, option_fn fn, void *target,
                        struct parser *p) {
  const char *arg = argv[i];
  const char *inline_value = NULL;
  const struct option_spec *spec;
  char name[64];
  if (arg[1] == '-') {
    const char *eq = strchr(arg, '=');
    size_t n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
    if (n >= sizeof(name)) return unknown(p, arg);
    memcpy(name, arg + 2, n);
    name[n] = 0;
    inline_value = eq ? eq + 1 : NULL;
    spec = find(specs, name, 0);
  } else {
    spec = find(specs, NULL, arg[1]);
    if (spec && arg[2]) inline_value = arg + 2;
  }
  if (!spec) return unknown(p, arg);
  if (spec->kind == FLAG) {
    if (inline_value) return fail(p, "Option '--%s' does not take an argument%s", spec->name, "");
    return fn(target, spec, NULL, p) == 0 ? 1 : -1;
  }
  if (inline_value) return fn(target, spec, inline_value, p) == 0 ? 1 : -1;
  char shown[80];
  if (spec->letter)
    snprintf(shown, sizeof(shown), "-%c, --%s", spec->letter, spec->name);
  else
    snprintf(shown, sizeof(shown), "--%s", spec->name);
  if (i + 1 >= argc) return fail(p, "Option '%s <value>' argument missing%s", shown, "");
  // "-" alone is a value (stdout); anything else with a dash is taken for a forgotten value.
  if (argv[i + 1][0] == '-' && argv[i + 1][1])
    return fail(p,
                "Option '%s <value>' argument is ambiguous. Did you forget to specify the option argument for '%s'? "
                "To specify an option argument starting with a dash use '--NAME=-XYZ'",
                shown, arg);
  return fn(target, spec, argv[i + 1], p) == 0 ? 2 : -1;
}

static int parse(int argc, char **argv, const struct option_spec *specs, option_fn fn, positional_fn positional,
                 void *target, struct parser *p) {
  for (int i = 0; i < argc;) {
    const char *arg = argv[i];
    if (strcmp(arg, "--") == 0) {
      for (i++; i < argc; i++)
        if (!positional || positional(target, argv[i], p) != 0) return positional ? -1 : unknown(p, argv[i]);
      break;
    }
    if (arg[0] == '-' && arg[1]) {
      int used = parse_option(argv, i, argc, specs, fn, target, p);
      if (used < 0) return -1;
      i += used;
      continue;
    }
    if (!positional)
      return fail(p, "Unexpected argument '%s'. This command does not take positional arguments%s", arg, "");
    if (positional(target, arg, p) != 0) return -1;
    i++;
  }
  return 0;
}

// --netns NAME (a file under /run/netns) or /proc/PID/ns/net; nothing else: the agent runs as
// root, and entering whatever namespace file a path names is not for the caller.
static int resolve_netns(const char *value, char *out, size_t size, struct parser *p) {
  if (!*value) {
    out[0] = 0;
    return 0;
  }
  unsigned pid;
  int end = 0;
  if (sscanf(value, "/proc/%u/ns/net%n", &pid, &end) == 1 && value[end] == 0 && isdigit((unsigned char)value[6])) {
    snprintf(out, size, "%s", value);
    return 0;
  }
  if (!strchr(value, '/') && strcmp(value, ".") != 0 && strcmp(value, "..") != 0) {
    snprintf(out, size, "/run/netns/%s", value);
    return 0;
  }
  return fail(p,
              "--netns takes a namespace name (a file in /run/netns, as \"ip netns add\" makes) or /proc/PID/ns/net, "
              "got \"%s\"%s",
              value, "");
}

static int whole_number(const char *name, const char *text, uint64_t min, uint64_t max, uint64_t *out,
                        struct parser *p) {
  char range[96];
  if (!*text || strspn(text, "0123456789") != strlen(text))
    return fail(p, "%s must be a whole number, got \"%s\"", name, text);
  errno = 0;
  unsigned long long n = strtoull(text, NULL, 10);
  if (errno || n < min || n > max) {
    snprintf(range, sizeof(range), "between %llu and %llu, got %s", (unsigned long long)min, (unsigned long long)max,
             text);
    return fail(p, "%s must be %s", name, range);
  }
  *out = n;
  return 0;
}

static int interfaces_option(void *target, const struct option_spec *spec, const char *value, struct parser *p) {
  struct interfaces_options *o = target;
  if (strcmp(spec->name, "json") == 0) {
    o->json = true;
    return 0;
  }
  return resolve_netns(value, o->netns, sizeof(o->netns), p);
}

int parse_interfaces_args(int argc, char **argv, struct interfaces_options *o, char *message, size_t size) {
  static const struct option_spec specs[] = {{"netns", 0, VALUE}, {"json", 0, FLAG}, {NULL, 0, 0}};
  struct parser p = {message, size};
  memset(o, 0, sizeof(*o));
  return parse(argc, argv, specs, interfaces_option, NULL, o, &p);
}

struct capture_parse {
  struct capture_options *o;
  bool filter_option;
  bool positional_filter;
  const char *direction, *buffer, *snaplen, *count, *events, *attach_mode;
};

static int capture_positional(void *target, const char *value, struct parser *p) {
  struct capture_parse *c = target;
  size_t used = strlen(c->o->filter);
  if (used + strlen(value) + 2 > sizeof(c->o->filter)) return fail(p, "the filter is too long%s%s", "", "");
  if (used) strcat(c->o->filter, " ");
  strcat(c->o->filter, value);
  c->positional_filter = true;
  return 0;
}

static int capture_option(void *target, const struct option_spec *spec, const char *value, struct parser *p) {
  struct capture_parse *c = target;
  struct capture_options *o = c->o;
  const char *n = spec->name;
  for (size_t i = 0; i < sizeof(not_yet) / sizeof(*not_yet); i++)
    if (strcmp(n, not_yet[i]) == 0)
      return fail(p, "--%s is not implemented in the static agent yet; use the Node agent (bin/pcap-agent)%s", n, "");
  if (strcmp(n, "interface") == 0) {
    for (size_t i = 0; i < o->ninterfaces; i++)
      if (strcmp(o->interfaces[i], value) == 0) return 0;  // named twice: captured once
    if (o->ninterfaces == MAX_INTERFACES) return fail(p, "at most %s interfaces with -i%s", "64", "");
    o->interfaces[o->ninterfaces++] = value;
  } else if (strcmp(n, "netns") == 0) {
    return resolve_netns(value, o->netns, sizeof(o->netns), p);
  } else if (strcmp(n, "filter") == 0) {
    snprintf(o->filter, sizeof(o->filter), "%s", value);
    c->filter_option = true;
  } else if (strcmp(n, "write") == 0) {
    o->write = value;
  } else if (strcmp(n, "overwrite") == 0) {
    o->overwrite = true;
  } else {
    const char **slot = strcmp(n, "snaplen") == 0     ? &c->snaplen
                        : strcmp(n, "direction") == 0 ? &c->direction
                        : strcmp(n, "count") == 0     ? &c->count
                        : strcmp(n, "buffer") == 0    ? &c->buffer
                        : strcmp(n, "events") == 0    ? &c->events
                                                      : &c->attach_mode;
    *slot = value;
  }
  return 0;
}

static int parse_direction(const char *text, uint32_t *out, struct parser *p) {
  if (strcmp(text, "in") == 0)
    *out = 1u << CAP_DIR_IN;
  else if (strcmp(text, "out") == 0)
    *out = 1u << CAP_DIR_OUT;
  else if (strcmp(text, "both") == 0 || strcmp(text, "inout") == 0)
    *out = (1u << CAP_DIR_IN) | (1u << CAP_DIR_OUT);
  else
    return fail(p, "--direction must be in, out or both, got \"%s\"%s", text, "");
  return 0;
}

// -B in KiB like tcpdump; the kernel ring must be a power of two of at least a page.
static int ring_bytes_of(const char *text, uint32_t *out, struct parser *p) {
  uint64_t kib;
  if (whole_number("-B", text, 4, 1024 * 1024, &kib, p) != 0) return -1;
  uint64_t bytes = 4096;
  while (bytes < kib * 1024) bytes *= 2;
  *out = (uint32_t)bytes;
  return 0;
}

// The settings given as text, checked and converted once every option has been read.
static int finish_capture(struct capture_parse *c, struct parser *p) {
  struct capture_options *o = c->o;
  uint64_t n;
  if (o->ninterfaces == 0)
    return fail(p, "capture needs at least one -i IFACE (see \"pcap-agent interfaces\")%s%s", "", "");
  if (c->filter_option && c->positional_filter)
    return fail(p, "give the filter either with -f or after the options, not both (extra: \"%s\")%s", o->filter, "");
  if (c->events && strcmp(c->events, "json") != 0)
    return fail(p, "--events takes \"json\", got \"%s\"%s", c->events, "");
  o->events_json = c->events != NULL;
  if (c->attach_mode && strcmp(c->attach_mode, "auto") != 0 && strcmp(c->attach_mode, "clsact") != 0)
    return fail(p, "--attach-mode must be auto or clsact, got \"%s\"%s", c->attach_mode, "");
  o->force_clsact = c->attach_mode && strcmp(c->attach_mode, "clsact") == 0;
  if (o->overwrite && (!o->write || strcmp(o->write, "-") == 0))
    return fail(p, "--overwrite needs -w FILE%s%s", "", "");
  if (!o->write) o->write = "-";
  o->snaplen = CAP_MAX_SNAPLEN;
  if (c->snaplen) {
    if (whole_number("-s", c->snaplen, 0, CAP_MAX_SNAPLEN, &n, p) != 0) return -1;
    o->snaplen = n == 0 ? CAP_MAX_SNAPLEN : (uint32_t)n;  // tcpdump's rule: -s 0 means the maximum
  }
  if (parse_direction(c->direction ? c->direction : "both", &o->directions, p) != 0) return -1;
  if (c->count && whole_number("-c", c->count, 1, 9007199254740991ull, &o->count, p) != 0) return -1;
  char kib[16];
  snprintf(kib, sizeof(kib), "%d", DEFAULT_RING_KIB);
  return ring_bytes_of(c->buffer ? c->buffer : kib, &o->ring_bytes, p);
}

int parse_capture_args(int argc, char **argv, struct capture_options *o, char *message, size_t size) {
  static const struct option_spec specs[] = {
      {"interface", 'i', VALUE}, {"netns", 0, VALUE},       {"filter", 'f', VALUE},
      {"exclude", 0, VALUE},     {"snaplen", 's', VALUE},   {"direction", 0, VALUE},
      {"count", 'c', VALUE},     {"max-bytes", 0, VALUE},   {"duration", 0, VALUE},
      {"format", 0, VALUE},      {"nano", 0, FLAG},         {"write", 'w', VALUE},
      {"overwrite", 0, FLAG},    {"listen", 0, VALUE},      {"token", 0, VALUE},
      {"token-file", 0, VALUE},  {"no-token", 0, FLAG},     {"buffer", 'B', VALUE},
      {"events", 0, VALUE},      {"attach-mode", 0, VALUE}, {NULL, 0, 0}};
  struct parser p = {message, size};
  memset(o, 0, sizeof(*o));
  struct capture_parse c = {.o = o};
  if (parse(argc, argv, specs, capture_option, capture_positional, &c, &p) != 0) return -1;
  return finish_capture(&c, &p);
}
