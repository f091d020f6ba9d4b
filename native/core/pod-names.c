#define _GNU_SOURCE
#include "pod-names.h"

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "processes.h"

#define MAX_CONFIG (1 << 20)  // an OCI config.json is a few KiB; anything larger is not one
#define MAX_ANCESTORS 64      // from a container's process up to its runtime's shim

// The keys each runtime writes into a container's OCI annotations (and into its pod sandbox's).
struct annotation_keys {
  const char *pod, *namespace, *uid, *container;
};
static const struct annotation_keys RUNTIME_KEYS[] = {
    // containerd's CRI plugin
    {"io.kubernetes.cri.sandbox-name", "io.kubernetes.cri.sandbox-namespace", "io.kubernetes.cri.sandbox-uid",
     "io.kubernetes.cri.container-name"},
    // CRI-O
    {"io.kubernetes.pod.name", "io.kubernetes.pod.namespace", "io.kubernetes.pod.uid", "io.kubernetes.container.name"},
};

// Where containerd and CRI-O keep a container's bundle by default, on the host (PID 1's root):
// PREFIX ID SUFFIX.
static const struct {
  const char *prefix, *suffix;
} DEFAULT_BUNDLES[] = {
    {"/proc/1/root/run/containerd/io.containerd.runtime.v2.task/k8s.io/", "/config.json"},
    {"/proc/1/root/run/containers/storage/overlay-containers/", "/userdata/config.json"},
};

// --- a JSON reader just large enough for the annotations: no allocation, every read bounded ---

static const char *skip_space(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

// p at a '"': just past the closing quote; NULL when unterminated or holding a raw control byte.
static const char *string_end(const char *p, const char *end) {
  for (p++; p < end; p++) {
    if (*p == '"') return p + 1;
    if ((unsigned char)*p < 0x20) return NULL;
    if (*p == '\\' && ++p == end) return NULL;  // the escaped character is skipped
  }
  return NULL;
}

// Just past the value at p (string, object, array, number or literal); NULL when it has no end.
static const char *value_end(const char *p, const char *end) {
  if (p >= end) return NULL;
  if (*p == '"') return string_end(p, end);
  if (*p != '{' && *p != '[') {
    while (p < end && *p && !strchr(",:{}[]\" \t\r\n", *p)) p++;
    return p;
  }
  size_t depth = 0;
  while (p < end) {
    if (*p == '"') {
      if (!(p = string_end(p, end))) return NULL;
      continue;
    }
    if (*p == '{' || *p == '[') depth++;
    if ((*p == '}' || *p == ']') && --depth == 0) return p + 1;
    p++;
  }
  return NULL;
}

// The value of member `key` of the object at p; NULL when p is no object, the object is malformed,
// or has the key not once (twice is ambiguous: the runtime's reader and ours might differ).
static const char *member(const char *p, const char *end, const char *key) {
  if (p >= end || *p != '{') return NULL;
  size_t key_len = strlen(key);
  const char *found = NULL;
  p = skip_space(p + 1, end);
  while (p < end && *p == '"') {
    const char *name_end = string_end(p, end);
    if (!name_end) return NULL;
    bool match = (size_t)(name_end - p) == key_len + 2 && memcmp(p + 1, key, key_len) == 0;
    p = skip_space(name_end, end);
    if (p >= end || *p != ':') return NULL;
    const char *value = skip_space(p + 1, end);
    if (match && found) return NULL;
    if (match) found = value;
    if (!(p = value_end(value, end))) return NULL;
    p = skip_space(p, end);
    if (p < end && *p == '}') return found;
    if (p >= end || *p != ',') return NULL;
    p = skip_space(p + 1, end);
  }
  return NULL;
}

// The string at p into out when it is one, has no escape and fits; "" otherwise.
static void string_value(const char *p, const char *end, char *out, size_t size) {
  out[0] = 0;
  if (!p || p >= end || *p != '"') return;
  const char *q = string_end(p, end);
  if (!q) return;
  size_t n = (size_t)(q - p) - 2;
  if (n >= size || memchr(p + 1, '\\', n)) return;
  memcpy(out, p + 1, n);
  out[n] = 0;
}

// --- what Kubernetes accepts as names ---

static bool lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// A DNS-1123 label (at most 63 of [a-z0-9-]) or, with dots, subdomain (at most 253 of [a-z0-9.-]),
// starting and ending alphanumeric: what packet/k8s-pod.ts takes as a namespace and a pod name.
static bool dns_name(const char *s, size_t max, bool dots) {
  size_t n = strlen(s);
  if (n == 0 || n > max || !lower_alnum(s[0]) || !lower_alnum(s[n - 1])) return false;
  for (size_t i = 0; i < n; i++)
    if (!lower_alnum(s[i]) && s[i] != '-' && !(dots && s[i] == '.')) return false;
  return true;
}

// A pod's uid: a UUID in lowercase, 8-4-4-4-12 hex digits.
static bool pod_uid(const char *s) {
  if (strlen(s) != PCORE_POD_UID_LEN) return false;
  for (size_t i = 0; i < PCORE_POD_UID_LEN; i++) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    bool hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
    if (dash ? s[i] != '-' : !hex) return false;
  }
  return true;
}

// An annotation's value into out when `valid` accepts it; "" otherwise.
static void take(const char *annotations, const char *end, const char *key, char *out, size_t size,
                 bool (*valid)(const char *)) {
  string_value(member(annotations, end, key), end, out, size);
  if (!valid(out)) out[0] = 0;
}

static bool is_pod_name(const char *s) {
  return dns_name(s, PCORE_POD_NAME_MAX, true);
}

static bool is_label_name(const char *s) {
  return dns_name(s, PCORE_LABEL_NAME_MAX, false);
}

// Whether the annotations hold any of a runtime's keys: that runtime wrote them, and only its keys
// count (a value it left out or that is refused is not taken from another runtime's key).
static bool written_by(const char *annotations, const char *end, const struct annotation_keys *k) {
  return member(annotations, end, k->pod) || member(annotations, end, k->namespace) ||
         member(annotations, end, k->uid) || member(annotations, end, k->container);
}

void pcore_pod_names_parse(const char *json, size_t len, struct pcore_pod_names *out) {
  *out = (struct pcore_pod_names){0};
  const char *end = json + len;
  const char *annotations = member(skip_space(json, end), end, "annotations");
  if (!annotations) return;
  for (size_t i = 0; i < sizeof(RUNTIME_KEYS) / sizeof(RUNTIME_KEYS[0]); i++) {
    const struct annotation_keys *k = &RUNTIME_KEYS[i];
    if (!written_by(annotations, end, k)) continue;
    take(annotations, end, k->pod, out->pod, sizeof(out->pod), is_pod_name);
    take(annotations, end, k->namespace, out->namespace, sizeof(out->namespace), is_label_name);
    take(annotations, end, k->uid, out->uid, sizeof(out->uid), pod_uid);
    take(annotations, end, k->container, out->container, sizeof(out->container), is_label_name);
    return;
  }
}

// --- where the bundle is ---

// A bundle's config.json, at most MAX_CONFIG bytes (its length in *len); NULL when there is no such
// file, it is something else (a FIFO would block, a symlink could point anywhere), larger, or not
// root's alone (a runtime that names pods runs as root; anyone else's file could name any pod).
static char *read_bounded(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return NULL;
  struct stat st;
  char *text = NULL;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= MAX_CONFIG && st.st_uid == 0 &&
      !(st.st_mode & (S_IWGRP | S_IWOTH)))
    text = malloc(MAX_CONFIG + 1);
  size_t n = 0;
  for (ssize_t r = 1; text && r > 0 && n <= MAX_CONFIG; n += (size_t)r)
    if ((r = read(fd, text + n, MAX_CONFIG + 1 - n)) < 0) r = 0;
  close(fd);
  if (text && n > MAX_CONFIG) {  // it grew past the bound since fstat
    free(text);
    return NULL;
  }
  *len = n;
  return text;
}

// Whether a process runs as root (its /proc folder belongs to its effective user).
static bool runs_as_root(uint32_t pid) {
  char path[64];
  struct stat st;
  snprintf(path, sizeof(path), "/proc/%u", pid);
  return stat(path, &st) == 0 && st.st_uid == 0;
}

// containerd's shim (runtime v2) works in the bundle of the container it was started for, the
// pod's sandbox, and every container of the pod has its bundle beside it, in a folder named by
// its id: STATE/io.containerd.runtime.v2.task/NAMESPACE/ID. Wherever the runtime's state folder
// is, the shim's working folder names it; read through the shim's root, as the shim sees it.
static bool bundle_beside_shim(uint32_t shim, const char *id, char *out, size_t size) {
  char link[64], cwd[PATH_MAX];
  snprintf(link, sizeof(link), "/proc/%u/cwd", shim);
  ssize_t n = readlink(link, cwd, sizeof(cwd) - 1);
  if (n <= 0) return false;
  cwd[n] = 0;
  char *slash = strrchr(cwd, '/');
  if (!slash || !pcore_is_container_id(slash + 1)) return false;  // no runtime v2 bundle
  *slash = 0;
  int written = snprintf(out, size, "/proc/%u/root%s/%s/config.json", shim, cwd, id);
  return written > 0 && (size_t)written < size;
}

// The bundle of container `id` beside its runtime's shim: the shim is the first ancestor of `pid`
// outside the container, running as root, whose working folder is a bundle. A process just started
// by `kubectl exec` may still be the child of the runc that started it, exiting, its working
// folder gone: the walk goes on past it to the shim. Processes of other users are never trusted.
static bool bundle_of_ancestors(uint32_t pid, const char *id, char *out, size_t size) {
  for (int i = 0; i < MAX_ANCESTORS && pid > 1; i++) {
    pid = pcore_parent_of(pid);
    if (pid == 0) return false;
    char container[PCORE_CONTAINER_ID_LEN + 1];
    pcore_container_of(pid, container);
    if (strcmp(container, id) != 0 && runs_as_root(pid) && bundle_beside_shim(pid, id, out, size)) return true;
  }
  return false;
}

void pcore_pod_names_of(uint32_t pid, const char *id, struct pcore_pod_names *out) {
  *out = (struct pcore_pod_names){0};
  if (!pcore_is_container_id(id)) return;
  char path[PATH_MAX + 64];
  size_t len = 0;
  char *text = NULL;
  if (bundle_of_ancestors(pid, id, path, sizeof(path))) text = read_bounded(path, &len);
  for (size_t i = 0; !text && i < sizeof(DEFAULT_BUNDLES) / sizeof(DEFAULT_BUNDLES[0]); i++) {
    snprintf(path, sizeof(path), "%s%s%s", DEFAULT_BUNDLES[i].prefix, id, DEFAULT_BUNDLES[i].suffix);
    text = read_bounded(path, &len);
  }
  if (text) pcore_pod_names_parse(text, len, out);
  free(text);
}
