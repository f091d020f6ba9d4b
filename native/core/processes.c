#define _GNU_SOURCE
#include "processes.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../bpf/capture.h"
#include "pod-names.h"

#define CACHE_SLOTS 1024  // processes whose comment is kept; a busy host only re-reads /proc
// A process's comment is read again when its packets come this long after it was read: a process
// that ran exec() names its new program, a PID the kernel gave to a new process its new owner.
#define PROCESS_FRESH_NS 1000000000ull
#define MAX_FIELD 4096           // of Cmd and of Args
#define MIN_CONTAINER_PREFIX 12  // as `docker ps` shortens ids

static int cgroup2_mount_point(char *out, size_t size) {
  FILE *f = fopen("/proc/self/mounts", "r");
  if (!f) return -1;
  char line[4096], where[4096], type[64];
  int rc = -1;
  while (rc != 0 && fgets(line, sizeof(line), f))
    if (sscanf(line, "%*s %4095s %63s", where, type) == 2 && strcmp(type, "cgroup2") == 0) {
      snprintf(out, size, "%s", where);
      rc = 0;
    }
  fclose(f);
  return rc;
}

// The cgroup v2 hierarchy exists whether or not it is mounted here (`ip netns exec` gives its
// command a fresh /sys without cgroup mounts; a cgroup v1 host may not mount it at all): mounted
// for a moment on a private folder, its root stays open after the mount is detached.
static int open_unmounted_cgroup2(void) {
  char dir[] = "/tmp/pcap-agent-cgroup2-XXXXXX";
  if (!mkdtemp(dir)) return -1;
  int fd = -1;
  if (mount("cgroup2", dir, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0) {
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int err = errno;
    umount2(dir, MNT_DETACH);
    errno = err;
  }
  int err = errno;
  rmdir(dir);
  errno = err;
  return fd;
}

int pcore_cgroup2_open(struct pcore_error *e) {
  char root[4096];
  int fd = cgroup2_mount_point(root, sizeof(root)) == 0 ? open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                                                        : open_unmounted_cgroup2();
  if (fd < 0)
    return pcore_fail(e, "E_NO_ATTRIBUTION", errno,
                      "process attribution needs cgroup v2, and its hierarchy cannot be opened (%s); capture without "
                      "--processes, --pid, --cgroup or --container works on this host",
                      strerror(errno));
  return fd;
}

int pcore_cgroup2_resolve(const char *path, uint64_t *id, uint32_t *level, char *below_root, size_t size,
                          struct pcore_error *e) {
  char root[4096] = "";
  bool mounted = cgroup2_mount_point(root, sizeof(root)) == 0;
  size_t root_len = strlen(root);
  bool inside = root_len && strncmp(path, root, root_len) == 0 && (path[root_len] == '/' || path[root_len] == 0);
  const char *below = (inside ? path + root_len : path) + strspn(inside ? path + root_len : path, "/");
  int fd = pcore_cgroup2_open(e);
  if (fd < 0) return -1;
  struct stat st;
  int rc = *below ? fstatat(fd, below, &st, 0) : fstat(fd, &st);
  int err = errno;
  close(fd);
  if (rc != 0 || !S_ISDIR(st.st_mode))
    return pcore_fail(e, "E_USAGE", err, "--cgroup: no cgroup v2 \"%s\" (looked for /%s below the cgroup v2 root)%s",
                      path, below,
                      mounted ? ""
                              : "; --cgroup is for cgroup v2 hosts, and this one mounts no cgroup v2 (its containers "
                                "and services live in cgroup v1 hierarchies): use --container ID or --pid PID");
  // On 64-bit kernels a cgroup's id is its directory's inode number in the cgroup2 file system.
  *id = st.st_ino;
  snprintf(below_root, size, "/%s", below);
  *level = 0;
  for (const char *p = below; *p; p++)
    if (*p != '/' && (p == below || p[-1] == '/')) (*level)++;
  return 0;
}

void pcore_pids_free(struct pcore_pids *p) {
  free(p->items);
  *p = (struct pcore_pids){0};
}

static int pids_add(struct pcore_pids *p, uint32_t pid) {
  for (size_t i = 0; i < p->count; i++)
    if (p->items[i] == pid) return 0;
  if (p->count == p->capacity) {
    size_t capacity = p->capacity ? p->capacity * 2 : 64;
    uint32_t *items = realloc(p->items, capacity * sizeof(*items));
    if (!items) return -1;
    p->items = items;
    p->capacity = capacity;
  }
  p->items[p->count++] = pid;
  return 0;
}

uint32_t pcore_parent_of(uint32_t pid) {
  char path[64], line[1024];
  snprintf(path, sizeof(path), "/proc/%u/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;                                                      // gone meanwhile
  char *end = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;  // comm may hold spaces and ')'
  fclose(f);
  unsigned parent;
  return end && sscanf(end + 1, " %*c %u", &parent) == 1 ? parent : 0;
}

// The parent of every process now (pid, ppid pairs from /proc/PID/stat).
static int parents(struct pcore_pids *pid, struct pcore_pids *ppid) {
  DIR *proc = opendir("/proc");
  if (!proc) return -1;
  struct dirent *d;
  while ((d = readdir(proc))) {
    if (!isdigit((unsigned char)d->d_name[0])) continue;
    uint32_t parent = pcore_parent_of((uint32_t)atoi(d->d_name));
    if (parent == 0) continue;  // gone meanwhile, or init and kthreadd, which descend from nothing
    // Both lists grow together; no duplicates among /proc's entries, so append directly.
    if (pids_add(pid, (uint32_t)atoi(d->d_name)) != 0 || pids_add(ppid, parent) != 0) {
      closedir(proc);
      return -1;
    }
  }
  closedir(proc);
  return 0;
}

// Adds to `out` every descendant of the processes already in it.
static int add_descendants(struct pcore_pids *out, struct pcore_error *e) {
  struct pcore_pids pid = {0}, ppid = {0};
  if (parents(&pid, &ppid) != 0) {
    pcore_pids_free(&pid);
    pcore_pids_free(&ppid);
    return pcore_fail_errno(e, "E_INTERNAL", errno, "read the process list (/proc)");
  }
  int rc = 0;
  for (size_t next = 0; rc == 0 && next < out->count; next++)
    for (size_t i = 0; rc == 0 && i < pid.count && i < ppid.count; i++)
      if (ppid.items[i] == out->items[next] && pids_add(out, pid.items[i]) != 0)
        rc = pcore_fail(e, "E_INTERNAL", ENOMEM, "out of memory");
  pcore_pids_free(&pid);
  pcore_pids_free(&ppid);
  return rc;
}

int pcore_process_tree(uint32_t root, struct pcore_pids *out, struct pcore_error *e) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%u", root);
  if (access(path, F_OK) != 0) return pcore_fail(e, "E_USAGE", ESRCH, "--pid %u: no such process", root);
  if (pids_add(out, root) != 0) return pcore_fail(e, "E_INTERNAL", ENOMEM, "out of memory");
  return add_descendants(out, e);
}

static bool is_hex(int c) {
  return isdigit(c) || (c >= 'a' && c <= 'f');
}

bool pcore_is_container_id(const char *s) {
  size_t n = 0;
  while (is_hex((unsigned char)s[n])) n++;
  return n == PCORE_CONTAINER_ID_LEN && s[n] == 0;
}

void pcore_container_of(uint32_t pid, char out[PCORE_CONTAINER_ID_LEN + 1]) {
  char path[64], line[4096];
  out[0] = 0;
  snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
  FILE *f = fopen(path, "r");
  if (!f) return;
  while (fgets(line, sizeof(line), f)) {
    for (const char *p = line; *p; p++) {
      if (!is_hex((unsigned char)*p) || (p > line && is_hex((unsigned char)p[-1]))) continue;
      size_t n = 0;
      while (is_hex((unsigned char)p[n])) n++;
      if (n == PCORE_CONTAINER_ID_LEN) snprintf(out, PCORE_CONTAINER_ID_LEN + 1, "%.64s", p);
    }
  }
  fclose(f);
}

int pcore_container_processes(const char *id, struct pcore_pids *out, struct pcore_error *e) {
  size_t len = strlen(id);
  bool hex = len >= MIN_CONTAINER_PREFIX && len <= PCORE_CONTAINER_ID_LEN;
  for (size_t i = 0; hex && i < len; i++) hex = is_hex((unsigned char)id[i]);
  if (!hex)
    return pcore_fail(e, "E_USAGE", EINVAL,
                      "--container takes a container id: %d to %d lowercase hex digits (docker ps shows 12), got "
                      "\"%s\"",
                      MIN_CONTAINER_PREFIX, PCORE_CONTAINER_ID_LEN, id);
  DIR *proc = opendir("/proc");
  if (!proc) return pcore_fail_errno(e, "E_INTERNAL", errno, "read the process list (/proc)");
  struct dirent *d;
  int rc = 0;
  while (rc == 0 && (d = readdir(proc))) {
    if (!isdigit((unsigned char)d->d_name[0])) continue;
    char container[PCORE_CONTAINER_ID_LEN + 1];
    pcore_container_of((uint32_t)atoi(d->d_name), container);
    if (*container && strncmp(container, id, len) == 0 && pids_add(out, (uint32_t)atoi(d->d_name)) != 0)
      rc = pcore_fail(e, "E_INTERNAL", ENOMEM, "out of memory");
  }
  closedir(proc);
  if (rc == 0 && out->count == 0)
    return pcore_fail(e, "E_USAGE", ESRCH, "--container %s: no process of this host runs in such a container", id);
  return rc == 0 ? add_descendants(out, e) : rc;
}

int pcore_all_processes(struct pcore_pids *out, struct pcore_error *e) {
  DIR *proc = opendir("/proc");
  if (!proc) return pcore_fail_errno(e, "E_INTERNAL", errno, "read the process list (/proc)");
  struct dirent *d;
  int rc = 0;
  while (rc == 0 && (d = readdir(proc)))
    if (isdigit((unsigned char)d->d_name[0]) && pids_add(out, (uint32_t)atoi(d->d_name)) != 0)
      rc = pcore_fail(e, "E_INTERNAL", ENOMEM, "out of memory");
  closedir(proc);
  return rc;
}

bool pcore_pids_contain(const struct pcore_pids *p, uint32_t pid) {
  for (size_t i = 0; i < p->count; i++)
    if (p->items[i] == pid) return true;
  return false;
}

bool pcore_in_cgroup2(uint32_t pid, const char *path) {
  char file[64], line[4096];
  snprintf(file, sizeof(file), "/proc/%u/cgroup", pid);
  FILE *f = fopen(file, "r");
  if (!f) return false;
  bool inside = false;
  const char *want = path + strspn(path, "/");
  size_t len = strlen(want);
  while (!inside && fgets(line, sizeof(line), f)) {
    if (strncmp(line, "0::/", 4) != 0) continue;  // the cgroup v2 line
    const char *have = line + 4;
    inside = strncmp(have, want, len) == 0 && (have[len] == '/' || have[len] == '\n' || have[len] == 0 || len == 0);
  }
  fclose(f);
  return inside;
}

void pcore_process_comm(uint32_t pid, char *out, size_t size) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%u/comm", pid);
  FILE *f = fopen(path, "r");
  out[0] = 0;
  if (f && fgets(out, (int)size, f)) out[strcspn(out, "\n")] = 0;
  if (f) fclose(f);
}

int pcore_each_socket(uint32_t pid, int (*fn)(void *ctx, int fd), void *ctx) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%u/fd", pid);
  DIR *fds = opendir(path);
  if (!fds) return 0;
  int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  struct dirent *d;
  int rc = 0;
  while (pidfd >= 0 && rc == 0 && (d = readdir(fds))) {
    char link[330], target[64];
    snprintf(link, sizeof(link), "%s/%s", path, d->d_name);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n <= 0 || strncmp(target, "socket:", 7) != 0) continue;
    int fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(d->d_name), 0);
    if (fd < 0) continue;
    rc = fn(ctx, fd);
    close(fd);
  }
  if (pidfd >= 0) close(pidfd);
  closedir(fds);
  return rc;
}

struct cached_process {
  uint32_t tgid;  // 0: empty slot
  char *comment;
  uint64_t read_ns;  // when /proc was read for it (the time of the packet that asked)
};

struct pcore_process_cache {
  pcore_kernel_name_fn kernel_name;
  void *ctx;
  struct cached_process slots[CACHE_SLOTS];
};

struct pcore_process_cache *pcore_process_cache_new(pcore_kernel_name_fn kernel_name, void *ctx) {
  struct pcore_process_cache *cache = calloc(1, sizeof(*cache));
  if (!cache) return NULL;
  cache->kernel_name = kernel_name;
  cache->ctx = ctx;
  return cache;
}

void pcore_process_cache_free(struct pcore_process_cache *cache) {
  if (!cache) return;
  for (size_t i = 0; i < CACHE_SLOTS; i++) free(cache->slots[i].comment);
  free(cache);
}

// /proc/PID/cmdline with its NULs as spaces (a process that rewrote its arguments may leave
// several in a row), or "" when unreadable; the length read, -1 when the process is gone.
static ssize_t read_args(uint32_t pid, char *out, size_t size) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(out, 1, size - 1, f);
  fclose(f);
  while (n > 0 && out[n - 1] == 0) n--;
  for (size_t i = 0; i < n; i++)
    if (out[i] == 0 || out[i] == '\n') out[i] = ' ';
  out[n] = 0;
  return (ssize_t)n;
}

// A newline in a name would start a line of its own in the comment.
static void one_line(char *s) {
  for (; *s; s++)
    if (*s == '\n' || *s == '\r') *s = ' ';
}

// A line "\nKEY: VALUE" at the end of out, when there is a value.
static void append_line(char *out, size_t size, const char *key, const char *value) {
  size_t used = strlen(out);
  if (*value && used < size) snprintf(out + used, size - used, "\n%s: %s", key, value);
}

// The lines of a process's container and pod, in ptcpdump's order and keys (ContainerName before
// ContainerId, the pod after): "" outside a container, no names outside Kubernetes.
static void container_lines(uint32_t tgid, char *out, size_t size) {
  char id[PCORE_CONTAINER_ID_LEN + 1];
  struct pcore_pod_names names = {0};
  out[0] = 0;
  pcore_container_of(tgid, id);
  if (*id) pcore_pod_names_of(tgid, id, &names);
  append_line(out, size, "ContainerName", names.container);
  append_line(out, size, "ContainerId", id);
  append_line(out, size, "PodName", names.pod);
  append_line(out, size, "PodNamespace", names.namespace);
  append_line(out, size, "PodUID", names.uid);
}

// The comment as /proc tells it; NULL when the process is gone (or out of memory).
static char *comment_from_proc(uint32_t tgid) {
  char path[64], cmd[MAX_FIELD], args[MAX_FIELD];
  snprintf(path, sizeof(path), "/proc/%u/exe", tgid);
  ssize_t n = readlink(path, cmd, sizeof(cmd) - 1);
  if (read_args(tgid, args, sizeof(args)) < 0) return NULL;
  if (n < 0) {
    // Kernel threads and processes that exited but are not reaped yet have no executable.
    snprintf(path, sizeof(path), "/proc/%u/comm", tgid);
    FILE *f = fopen(path, "r");
    n = f && fgets(cmd, sizeof(cmd), f) ? (ssize_t)strcspn(cmd, "\n") : 0;
    if (f) fclose(f);
  }
  cmd[n] = 0;
  one_line(cmd);
  char context[1024];
  container_lines(tgid, context, sizeof(context));
  char *comment;
  if (asprintf(&comment, "PID: %u\nCmd: %s\nArgs: %s%s", tgid, cmd, args, context) < 0) return NULL;
  return comment;
}

static char *comment_from_kernel(struct pcore_process_cache *cache, uint32_t tgid) {
  char name[CAP_COMM_LEN] = "";
  if (cache->kernel_name) cache->kernel_name(cache->ctx, tgid, name);
  one_line(name);
  char *comment;
  return asprintf(&comment, "PID: %u\nCmd: %s\nArgs: ", tgid, name) < 0 ? NULL : comment;
}

// Whether a comment read at `read_ns` still stands at `now_ns`. Packets of several interfaces come
// slightly out of time order: an earlier one is not a reason to read again.
static bool fresh(uint64_t read_ns, uint64_t now_ns) {
  return now_ns < read_ns || now_ns - read_ns < PROCESS_FRESH_NS;
}

const char *pcore_process_comment(struct pcore_process_cache *cache, uint32_t tgid, uint64_t now_ns) {
  struct cached_process *slot = &cache->slots[tgid % CACHE_SLOTS];
  bool mine = slot->tgid == tgid && slot->comment;
  if (mine && fresh(slot->read_ns, now_ns)) return slot->comment;
  char *comment = comment_from_proc(tgid);
  // Gone since: what was read while it ran is still the best name; read again a while later.
  if (!comment && mine) {
    slot->read_ns = now_ns;
    return slot->comment;
  }
  if (!comment) comment = comment_from_kernel(cache, tgid);
  if (!comment) return NULL;
  free(slot->comment);
  slot->tgid = tgid;
  slot->comment = comment;
  slot->read_ns = now_ns;
  return comment;
}
