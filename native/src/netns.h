// Enter a network namespace on the calling thread and return to the original one on scope exit.
// Interface lookup, tc netlink and tcx link_create all act in the calling thread's netns.
#pragma once
#include <string>

namespace pcap {

class NetnsScope {
 public:
  // Empty path: stay where we are. On failure, error() is a positive errno and nothing changed.
  explicit NetnsScope(const std::string &path);
  ~NetnsScope();
  NetnsScope(const NetnsScope &) = delete;
  NetnsScope &operator=(const NetnsScope &) = delete;
  int error() const { return error_; }

 private:
  int original_ = -1;
  int error_ = 0;
};

}  // namespace pcap
