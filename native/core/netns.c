#define _GNU_SOURCE
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int pcore_netns_enter(const char *path, int *saved) {
  *saved = -1;
  if (!path || !*path) return 0;
  int original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original < 0) return errno;
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0 || setns(target, CLONE_NEWNET) != 0) {
    int err = errno;
    if (target >= 0) close(target);
    close(original);
    return err;
  }
  close(target);
  *saved = original;
  return 0;
}

void pcore_netns_leave(int saved) {
  if (saved < 0) return;
  if (setns(saved, CLONE_NEWNET) != 0) {
    perror("pcap-agent: cannot return to the original network namespace");
    abort();
  }
  close(saved);
}
