#include "netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace pcap {

NetnsScope::NetnsScope(const std::string &path) {
  if (path.empty()) return;
  original_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original_ < 0) {
    error_ = errno;
    return;
  }
  int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0 || setns(target, CLONE_NEWNET) != 0) {
    error_ = errno;
    if (target >= 0) close(target);
    close(original_);
    original_ = -1;
    return;
  }
  close(target);
}

NetnsScope::~NetnsScope() {
  if (original_ < 0) return;
  // Staying in the wrong namespace would silently redirect every later operation.
  if (setns(original_, CLONE_NEWNET) != 0) {
    std::perror("pcap-agent: cannot return to the original network namespace");
    std::abort();
  }
  close(original_);
}

}  // namespace pcap
