#define _GNU_SOURCE
#include "bpf-errors.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#define CAP_NET_ADMIN 12
#define CAP_SYS_ADMIN 21
#define CAP_PERFMON 38
#define CAP_BPF 39

static const char PRIVILEGE_HINT[] =
    "capturing needs root, or CAP_BPF + CAP_NET_ADMIN + CAP_PERFMON (in a container: --cap-add BPF --cap-add "
    "NET_ADMIN --cap-add PERFMON)";
static const char NO_BTF[] =
    "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): capturing needs Linux >= 5.8 built with "
    "CONFIG_DEBUG_INFO_BTF";

void read_bpf_host_facts(struct bpf_host_facts *f) {
  memset(f, 0, sizeof(*f));
  FILE *status = fopen("/proc/self/status", "r");
  char line[256];
  while (status && fgets(line, sizeof(line), status))
    if (sscanf(line, "CapEff: %" SCNx64, &f->cap_eff) == 1) f->cap_known = true;
  if (status) fclose(status);
  struct rlimit r;
  if (getrlimit(RLIMIT_MEMLOCK, &r) == 0) {
    f->memlock_known = true;
    f->memlock_unlimited = r.rlim_cur == RLIM_INFINITY;
    f->memlock_bytes = r.rlim_cur;
  }
  f->btf = access("/sys/kernel/btf/vmlinux", F_OK) == 0;
  struct utsname u;
  if (uname(&u) == 0) snprintf(f->kernel, sizeof(f->kernel), "%s", u.release);
}

// The capabilities capturing needs that `cap_eff` lacks (CAP_SYS_ADMIN stands in for CAP_BPF and
// CAP_PERFMON, never for CAP_NET_ADMIN), as "CAP_BPF, CAP_PERFMON"; "" when none is missing.
static void missing_capabilities(uint64_t cap_eff, char *out, size_t size) {
  bool admin = (cap_eff >> CAP_SYS_ADMIN) & 1;
  struct {
    const char *name;
    bool present;
  } needed[] = {{"CAP_BPF", ((cap_eff >> CAP_BPF) & 1) || admin},
                {"CAP_NET_ADMIN", (cap_eff >> CAP_NET_ADMIN) & 1},
                {"CAP_PERFMON", ((cap_eff >> CAP_PERFMON) & 1) || admin}};
  out[0] = 0;
  for (size_t i = 0; i < sizeof(needed) / sizeof(*needed); i++)
    if (!needed[i].present) snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? ", " : "", needed[i].name);
}

// Kernels before 5.11 count BPF maps against RLIMIT_MEMLOCK (later ones use memory cgroups).
static bool charges_memlock(const char *kernel) {
  int major = 0, minor = 0;
  sscanf(kernel, "%d.%d", &major, &minor);
  return major < 5 || (major == 5 && minor < 11);
}

// EPERM/EACCES from bpf(): a missing capability, else the locked-memory limit, else a policy.
static void explain_permission(const struct bpf_host_facts *f, char *out, size_t size) {
  char missing[64];
  if (!f->cap_known) {
    snprintf(out, size, "%s", PRIVILEGE_HINT);
    return;
  }
  missing_capabilities(f->cap_eff, missing, sizeof(missing));
  if (missing[0]) {
    snprintf(out, size, "this process lacks %s; %s", missing, PRIVILEGE_HINT);
  } else if (charges_memlock(f->kernel) && f->memlock_known && !f->memlock_unlimited) {
    snprintf(out, size,
             "the capabilities are there, but the locked-memory limit is %" PRIu64
             " KiB and this kernel (%s) counts BPF maps against it: raise it (ulimit -l unlimited, or "
             "LimitMEMLOCK=infinity)",
             f->memlock_bytes / 1024, f->kernel);
  } else {
    snprintf(out, size,
             "the capabilities are there, so something else forbids BPF: a seccomp profile (container runtimes block "
             "bpf() by default), kernel lockdown, or a security module");
  }
}

static void append(struct pcore_error *e, const char *hint) {
  size_t n = strlen(e->message);
  snprintf(e->message + n, sizeof(e->message) - n, " (%s)", hint);
}

void explain_bpf_error(struct pcore_error *e, bool load, const struct bpf_host_facts *facts) {
  char hint[512];
  if (strcmp(e->code, "E_NO_ATTRIBUTION") == 0) return;  // it names the missing hook itself
  if (e->err == EPERM || e->err == EACCES) {
    e->code = "E_PRIVILEGE";
    explain_permission(facts, hint, sizeof(hint));
    append(e, hint);
  } else if (e->err == ENOSYS) {
    e->code = "E_NO_BPF";
    append(e, "this kernel has no bpf() system call: CONFIG_BPF_SYSCALL");
  } else if (load && e->err == ENOENT) {
    e->code = "E_ADDON";
  } else if (load && e->err && strcmp(e->code, "E_NO_BPF") == 0) {
    append(e, facts->btf ? "the kernel refused the capture programs: they need Linux >= 5.8 with BPF ring buffers"
                         : NO_BTF);
  }
}
