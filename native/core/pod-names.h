// The Kubernetes names of a container: its pod, the pod's namespace and uid, and its own name, as the
// container runtime (containerd's CRI plugin, CRI-O) wrote them into the annotations of the
// container's OCI bundle (config.json). Read from the host's side through /proc, so an agent in a
// pod that shares the host's PID namespace finds them as one on the host does.
#ifndef PCAP_CORE_POD_NAMES_H
#define PCAP_CORE_POD_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define PCORE_POD_NAME_MAX 253   // a DNS-1123 subdomain
#define PCORE_LABEL_NAME_MAX 63  // a DNS-1123 label: a namespace, a container name
#define PCORE_POD_UID_LEN 36     // 8-4-4-4-12 hex digits

// Each field "" when unknown or not a name Kubernetes would accept.
struct pcore_pod_names {
  char pod[PCORE_POD_NAME_MAX + 1];
  char namespace[PCORE_LABEL_NAME_MAX + 1];
  char uid[PCORE_POD_UID_LEN + 1];
  char container[PCORE_LABEL_NAME_MAX + 1];
};

// The names of container `id` (64 hex digits) that process `pid` runs in: its bundle is found
// beside the bundle of the runtime's shim that started it (the shim's working folder: the first
// ancestor of `pid` outside the container that runs as root and works in a bundle), or at
// containerd's and CRI-O's default places; only a regular file of root's, not writable by others,
// of at most 1 MiB. All "" when there is none (not a Kubernetes container, a runtime that keeps its
// bundles elsewhere).
void pcore_pod_names_of(uint32_t pid, const char *id, struct pcore_pod_names *out);

// The names in the text of an OCI bundle's config.json (untrusted: any bytes, `len` of them).
void pcore_pod_names_parse(const char *json, size_t len, struct pcore_pod_names *out);

#endif
