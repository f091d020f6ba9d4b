#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "../../bpf/capture.h"
#include "token.h"

#define DEFAULT_RING_KIB (16 * 1024)
#define PID_MAX_LIMIT 4194304  // the kernel's ceiling for pid_max

enum { FLAG, VALUE };

struct option_spec {
  const char *name;  // long name, without "--"
  char letter;       // short name, or 0
  int kind;          // FLAG or VALUE
};

// Options of today's agent that this one does not implement yet: refused, not ignored.

struct parser {
  char *message;
  size_t size;
  const char *code;  // E_USAGE unless a check says otherwise
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

int whole_number_of(const char *name, const char *text, uint64_t min, uint64_t max, uint64_t *out, char *message,
                    size_t size) {
  struct parser p = {message, size, "E_USAGE"};
  return whole_number(name, text, min, max, out, &p);
}

bool is_ip_address(const char *host) {
  unsigned char scratch[16];
  return inet_pton(AF_INET, host, scratch) == 1 || inet_pton(AF_INET6, host, scratch) == 1;
}

bool is_loopback(const char *host) {
  return strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 || strncmp(host, "127.", 4) == 0;
}

static bool all_digits(const char *s) {
  return *s && strspn(s, "0123456789") == strlen(s);
}

// HOST:PORT, [IPV6]:PORT or PORT (loopback), as agent/options.ts parseListen.
int parse_listen(const char *text, const char *what, struct listen_address *out, char *message, size_t size) {
  struct parser p = {message, size, "E_USAGE"};
  char host[256] = "";
  const char *port = text;
  if (!all_digits(text)) {
    const char *colon = text[0] == '[' ? strstr(text, "]:") : strchr(text, ':');
    size_t start = text[0] == '[' ? 1 : 0;
    if (!colon || (text[0] == '[' && colon == text + 1) || (size_t)(colon - text) - start >= sizeof(host))
      return fail(&p, "%s must be HOST:PORT or PORT, got \"%s\"", what, text);
    memcpy(host, text + start, (size_t)(colon - text) - start);
    host[(size_t)(colon - text) - start] = 0;
    port = colon + (text[0] == '[' ? 2 : 1);
    if (!all_digits(port) || (text[0] != '[' && strchr(host, ':')))
      return fail(&p, "%s must be HOST:PORT or PORT, got \"%s\"", what, text);
  }
  if (!*host) snprintf(host, sizeof(host), "127.0.0.1");  // PORT alone: loopback
  if (!is_ip_address(host) && strcmp(host, "localhost") != 0) {
    snprintf(message, size, "%s host must be an IP address, got \"%s\"", what, host);
    return -1;
  }
  char name[80];
  snprintf(name, sizeof(name), "%s port", what);
  uint64_t n;
  if (whole_number(name, port, 0, 65535, &n, &p) != 0) return -1;
  snprintf(out->host, sizeof(out->host), "%s", host);
  out->port = (unsigned)n;
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
  struct parser p = {message, size, "E_USAGE"};
  memset(o, 0, sizeof(*o));
  return parse(argc, argv, specs, interfaces_option, NULL, o, &p);
}

struct capture_parse {
  struct capture_options *o;
  bool filter_option;
  bool positional_filter;
  bool no_token;
  const char *direction, *buffer, *snaplen, *count, *events, *attach_mode;
  const char *format, *max_bytes, *duration, *listen, *token, *token_file, *pid;
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

// Where the text of a value option waits until every option has been read.
static const char **value_slot(struct capture_parse *c, const char *name) {
  struct {
    const char *name;
    const char **slot;
  } slots[] = {{"snaplen", &c->snaplen}, {"direction", &c->direction}, {"count", &c->count},
               {"buffer", &c->buffer},   {"events", &c->events},       {"attach-mode", &c->attach_mode},
               {"format", &c->format},   {"max-bytes", &c->max_bytes}, {"duration", &c->duration},
               {"listen", &c->listen},   {"token", &c->token},         {"token-file", &c->token_file},
               {"pid", &c->pid}};
  for (size_t i = 0; i < sizeof(slots) / sizeof(*slots); i++)
    if (strcmp(slots[i].name, name) == 0) return slots[i].slot;
  return &c->attach_mode;  // unreachable: every value option is listed above
}

static void copy_trimmed(const char *text, char *out, size_t size) {
  text += strspn(text, " \t\r\n");
  size_t len = strlen(text);
  while (len > 0 && strchr(" \t\r\n", text[len - 1])) len--;
  snprintf(out, size, "%.*s", (int)len, text);
}

static int capture_option(void *target, const struct option_spec *spec, const char *value, struct parser *p) {
  struct capture_parse *c = target;
  struct capture_options *o = c->o;
  const char *n = spec->name;
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
  } else if (strcmp(n, "exclude") == 0) {
    copy_trimmed(value, o->exclude, sizeof(o->exclude));  // the started event gives it trimmed
  } else if (strcmp(n, "write") == 0) {
    o->write = value;
  } else if (strcmp(n, "overwrite") == 0) {
    o->overwrite = true;
  } else if (strcmp(n, "nano") == 0) {
    o->nanosecond_pcap = true;
  } else if (strcmp(n, "no-token") == 0) {
    c->no_token = true;
  } else if (strcmp(n, "processes") == 0) {
    o->processes = true;
  } else if (strcmp(n, "processes-if-available") == 0) {
    o->processes = o->processes_if_available = true;
  } else if (strcmp(n, "cgroup") == 0) {
    snprintf(o->cgroup, sizeof(o->cgroup), "%s", value);
  } else if (strcmp(n, "container") == 0) {
    snprintf(o->container, sizeof(o->container), "%s", value);
  } else {
    *value_slot(c, n) = value;
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

int ring_bytes_from_kib(const char *text, uint32_t *out, char *message, size_t size) {
  struct parser p = {message, size, "E_USAGE"};
  return ring_bytes_of(text, out, &p);
}

int snaplen_of(const char *name, const char *text, uint32_t *out, char *message, size_t size) {
  struct parser p = {message, size, "E_USAGE"};
  uint64_t n;
  if (whole_number(name, text, 0, CAP_MAX_SNAPLEN, &n, &p) != 0) return -1;
  *out = n == 0 ? CAP_MAX_SNAPLEN : (uint32_t)n;
  return 0;
}

static int parse_duration(const char *text, uint64_t *ms, struct parser *p) {
  char *end;
  size_t digits = strspn(text, "0123456789");
  // NUMBER[.DIGITS] then ms, s or m (seconds when none), as /^(\d+(?:\.\d+)?)(ms|s|m)?$/.
  size_t len = digits;
  if (digits && text[len] == '.') {
    size_t fraction = strspn(text + len + 1, "0123456789");
    len = fraction ? len + 1 + fraction : 0;
  }
  const char *unit = text + len;
  double scale = strcmp(unit, "ms") == 0 ? 1 : strcmp(unit, "m") == 0 ? 60000 : 1000;
  if (!digits || !len || (*unit && strcmp(unit, "ms") != 0 && strcmp(unit, "s") != 0 && strcmp(unit, "m") != 0))
    return fail(p, "--duration must be seconds (e.g. 5, 1.5, 500ms, 2m), got \"%s\"%s", text, "");
  double value = strtod(text, &end) * scale;
  if (value <= 0) return fail(p, "--duration must be positive%s%s", "", "");
  *ms = value < 1 ? 1 : (uint64_t)value;
  return 0;
}

static int listen_fail(struct parser *p, const char *code, const char *fmt, const char *a, const char *b) {
  p->code = code;
  return fail(p, fmt, a, b);
}

// The token a --listen server asks of its clients: from --token-file or PCAP_AGENT_TOKEN, never
// the command line (ps and sudo's log show it there). Serving without one is refused unless
// asked for with --no-token, and then only on loopback.
static int listen_token(struct capture_parse *c, struct parser *p) {
  struct capture_options *o = c->o;
  if (c->token)
    return fail(p,
                "--token is not accepted: a token on the command line is visible in ps and in sudo's log; use "
                "--token-file FILE (mode 0600) or PCAP_AGENT_TOKEN%s%s",
                "", "");
  if (!o->listen) {
    if (c->token_file || c->no_token)
      return fail(p, "%s needs --listen%s", c->no_token ? "--no-token" : "--token-file", "");
    return 0;
  }
  const char *env = getenv("PCAP_AGENT_TOKEN");
  if (c->token_file) {
    if (read_token_file(c->token_file, o->token, sizeof(o->token), p->message, p->size) != 0) return -1;
    o->has_token = true;
  } else if (env && *env) {
    snprintf(o->token, sizeof(o->token), "%s", env);
    o->has_token = true;
  }
  char where[96];
  snprintf(where, sizeof(where), "%s:%u", o->listen_at.host, o->listen_at.port);
  if (c->no_token) {
    if (o->has_token)
      return fail(p, "--no-token contradicts the token given (--token-file or PCAP_AGENT_TOKEN)%s%s", "", "");
    if (!is_loopback(o->listen_at.host))
      return listen_fail(p, "E_LISTEN",
                         "refusing to serve captures on %s without a token: set %s, or bind 127.0.0.1 and use an SSH "
                         "or kubectl port-forward",
                         o->listen_at.host, "--token-file or PCAP_AGENT_TOKEN");
    return 0;
  }
  if (!o->has_token)
    return listen_fail(p, "E_LISTEN",
                       "refusing to serve captures on %s without a token: give --token-file FILE (mode 0600) or "
                       "PCAP_AGENT_TOKEN, or --no-token to let any local user read them%s",
                       where, "");
  return 0;
}

static int finish_output(struct capture_parse *c, struct parser *p) {
  struct capture_options *o = c->o;
  const char *format = c->format ? c->format : "pcapng";
  if (strcmp(format, "pcapng") != 0 && strcmp(format, "pcap") != 0)
    return fail(p, "--format must be pcapng or pcap, got \"%s\"%s", format, "");
  o->pcap_format = strcmp(format, "pcap") == 0;
  if (c->listen) {
    if (parse_listen(c->listen, "--listen", &o->listen_at, p->message, p->size) != 0) return -1;
    o->listen = true;
  }
  return listen_token(c, p);
}

// --pid, --cgroup and --container choose the processes captured (one of them), and turn on
// --processes. They cannot be left out on a host that cannot attribute: a capture of one process
// must not become a capture of every process, so they make --processes-if-available a requirement.
static int finish_processes(struct capture_parse *c, struct parser *p) {
  struct capture_options *o = c->o;
  int chosen = (c->pid != NULL) + (*o->cgroup != 0) + (*o->container != 0);
  if (chosen > 1) return fail(p, "give only one of --pid, --cgroup and --container%s%s", "", "");
  uint64_t pid;
  if (c->pid && whole_number("--pid", c->pid, 1, PID_MAX_LIMIT, &pid, p) != 0) return -1;
  o->pid = c->pid ? (uint32_t)pid : 0;
  if (chosen) {
    o->processes = true;
    o->processes_if_available = false;
  }
  return 0;
}

// The settings given as text, checked and converted once every option has been read.
static int finish_capture(struct capture_parse *c, struct parser *p) {
  struct capture_options *o = c->o;
  if (o->ninterfaces == 0)
    return fail(p, "capture needs at least one -i IFACE (see \"pcap-agent interfaces\")%s%s", "", "");
  if (c->filter_option && c->positional_filter)
    return fail(p, "give the filter either with -f or after the options, not both (extra: \"%s\")%s", o->filter, "");
  if (finish_output(c, p) != 0) return -1;
  if (c->events && strcmp(c->events, "json") != 0)
    return fail(p, "--events takes \"json\", got \"%s\"%s", c->events, "");
  o->events_json = c->events != NULL;
  if (c->attach_mode && strcmp(c->attach_mode, "auto") != 0 && strcmp(c->attach_mode, "clsact") != 0)
    return fail(p, "--attach-mode must be auto or clsact, got \"%s\"%s", c->attach_mode, "");
  o->force_clsact = c->attach_mode && strcmp(c->attach_mode, "clsact") == 0;
  if (o->overwrite && (!o->write || strcmp(o->write, "-") == 0))
    return fail(p, "--overwrite needs -w FILE%s%s", "", "");
  if (!o->write && !o->listen) o->write = "-";
  o->snaplen = CAP_MAX_SNAPLEN;
  if (c->snaplen && snaplen_of("-s", c->snaplen, &o->snaplen, p->message, p->size) != 0) return -1;
  if (parse_direction(c->direction ? c->direction : "both", &o->directions, p) != 0) return -1;
  if (c->count && whole_number("-c", c->count, 1, 9007199254740991ull, &o->count, p) != 0) return -1;
  if (c->max_bytes && whole_number("--max-bytes", c->max_bytes, 1, 9007199254740991ull, &o->max_bytes, p) != 0)
    return -1;
  if (c->duration && parse_duration(c->duration, &o->duration_ms, p) != 0) return -1;
  if (finish_processes(c, p) != 0) return -1;
  char kib[16];
  snprintf(kib, sizeof(kib), "%d", DEFAULT_RING_KIB);
  return ring_bytes_of(c->buffer ? c->buffer : kib, &o->ring_bytes, p);
}

int parse_capture_args(int argc, char **argv, struct capture_options *o, const char **code, char *message,
                       size_t size) {
  static const struct option_spec specs[] = {{"interface", 'i', VALUE}, {"netns", 0, VALUE},
                                             {"filter", 'f', VALUE},    {"exclude", 0, VALUE},
                                             {"snaplen", 's', VALUE},   {"direction", 0, VALUE},
                                             {"count", 'c', VALUE},     {"max-bytes", 0, VALUE},
                                             {"duration", 0, VALUE},    {"format", 0, VALUE},
                                             {"nano", 0, FLAG},         {"write", 'w', VALUE},
                                             {"overwrite", 0, FLAG},    {"listen", 0, VALUE},
                                             {"token", 0, VALUE},       {"token-file", 0, VALUE},
                                             {"no-token", 0, FLAG},     {"buffer", 'B', VALUE},
                                             {"events", 0, VALUE},      {"attach-mode", 0, VALUE},
                                             {"processes", 0, FLAG},    {"processes-if-available", 0, FLAG},
                                             {"pid", 0, VALUE},         {"cgroup", 0, VALUE},
                                             {"container", 0, VALUE},   {NULL, 0, 0}};
  struct parser p = {message, size, "E_USAGE"};
  memset(o, 0, sizeof(*o));
  struct capture_parse c = {.o = o};
  int rc = parse(argc, argv, specs, capture_option, capture_positional, &c, &p);
  if (rc == 0) rc = finish_capture(&c, &p);
  *code = p.code;
  return rc;
}
