// Errors of the capture core: a stable code (what the front ends act on and report), the errno
// when the kernel gave one, and a one-line message for people. The core never prints or exits.
#ifndef PCAP_CORE_ERROR_H
#define PCAP_CORE_ERROR_H

struct pcore_error {
  const char *code;  // "E_PRIVILEGE", "E_NO_BPF", ...: the agent's codes (agent/events.ts)
  int err;           // errno, or 0
  char message[1024];
};

// Fills `e` (when not NULL) and returns -1, so callers can `return pcore_fail(...)`.
int pcore_fail(struct pcore_error *e, const char *code, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

// Like pcore_fail, with ": strerror(err)" after the message; the code follows from errno
// (EPERM: E_PRIVILEGE, ENODEV: E_NO_INTERFACE, ...) and `fallback` otherwise.
int pcore_fail_errno(struct pcore_error *e, const char *fallback, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
