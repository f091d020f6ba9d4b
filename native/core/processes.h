// The user-space half of process attribution: what /proc and the cgroup file systems say about the
// processes the kernel names by id (bpf/process.bpf.h): the cgroup v2 root the socket hooks attach
// to, --cgroup's id, the processes of --pid (with their children) and of --container, and the
// pcapng comment of a packet's process, cached per process.
#ifndef PCAP_CORE_PROCESSES_H
#define PCAP_CORE_PROCESSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define PCORE_CONTAINER_ID_LEN 64

// The root of the cgroup v2 hierarchy, open (where it is mounted: /sys/fs/cgroup, or
// /sys/fs/cgroup/unified beside v1; mounted for a moment where it is not), or -1 with
// E_NO_ATTRIBUTION.
int pcore_cgroup2_open(struct pcore_error *e);

// --cgroup PATH (below the cgroup v2 root, or a path into its mount): its id, its depth, and its
// path below the root ("/a/b", what /proc/PID/cgroup says). E_NO_ATTRIBUTION when the host has no
// cgroup v2, E_USAGE when there is no such cgroup.
int pcore_cgroup2_resolve(const char *path, uint64_t *id, uint32_t *level, char *below_root, size_t size,
                          struct pcore_error *e);

// A growable set of process ids.
struct pcore_pids {
  uint32_t *items;
  size_t count, capacity;
};
void pcore_pids_free(struct pcore_pids *p);

// `root` and every process descending from it now (the kernel follows later forks).
int pcore_process_tree(uint32_t root, struct pcore_pids *out, struct pcore_error *e);

// The processes whose /proc/PID/cgroup names a container whose id starts with `id` (the full 64 hex
// digits, or a prefix of at least 12 as `docker ps` shows), with their descendants.
int pcore_container_processes(const char *id, struct pcore_pids *out, struct pcore_error *e);

// The container a process runs in, from /proc/PID/cgroup (the last 64-hex-digit name in its
// cgroup paths: docker, containerd, CRI-O and Kubernetes name their cgroups so); "" for none.
void pcore_container_of(uint32_t pid, char out[PCORE_CONTAINER_ID_LEN + 1]);

// Whether s is a whole container id: 64 lowercase hex digits.
bool pcore_is_container_id(const char *s);

// A process's parent (/proc/PID/stat); 0 when it is gone, or has none (init, kthreadd).
uint32_t pcore_parent_of(uint32_t pid);

// Every process of this host now.
int pcore_all_processes(struct pcore_pids *out, struct pcore_error *e);
bool pcore_pids_contain(const struct pcore_pids *p, uint32_t pid);

// Whether a process is in the cgroup v2 `path` (below the root, as pcore_cgroup2_resolve gives it) or
// below it.
bool pcore_in_cgroup2(uint32_t pid, const char *path);

// A process's name (/proc/PID/comm, at most 15 bytes); "" when it is gone.
void pcore_process_comm(uint32_t pid, char *out, size_t size);

// Calls `fn` with a duplicate of each socket a process holds (pidfd_getfd, Linux >= 5.6), closed
// after the call; a process that is gone or forbids it is skipped. Returns 0, or fn's nonzero.
int pcore_each_socket(uint32_t pid, int (*fn)(void *ctx, int fd), void *ctx);

// The name the kernel gave a process (comm), for one /proc no longer has; -1 when unknown.
typedef int (*pcore_kernel_name_fn)(void *ctx, uint32_t tgid, char *name);

// Per process: its pcapng comment, read from /proc once and kept (a bounded cache).
struct pcore_process_cache;
struct pcore_process_cache *pcore_process_cache_new(pcore_kernel_name_fn kernel_name, void *ctx);
void pcore_process_cache_free(struct pcore_process_cache *cache);

// The comment of a packet of process `tgid`, in ptcpdump's form, which Wireshark shows as
// frame.comment: "PID: 1234\nCmd: /usr/bin/node\nArgs: node server.js", then
// for a process in a container "\nContainerId: <64 hex>", and for one in a Kubernetes pod
// "\nContainerName: NAME" before it and "\nPodName: NAME\nPodNamespace: NS\nPodUID: UID" after it
// (pod-names.h; a line whose value is unknown or invalid is left out). A process gone before it could be read
// keeps the name the kernel gave it (Cmd, with empty Args). `now_ns`: the packet's time; a comment
// read more than a second before it is read again (an exec, a PID reused). NULL when out of memory.
const char *pcore_process_comment(struct pcore_process_cache *cache, uint32_t tgid, uint64_t now_ns);

#endif
