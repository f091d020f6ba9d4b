// Capture filter validation for the addon (see filter.cc).
#pragma once

#include <napi.h>

namespace pcap {

Napi::Value CompileFilter(const Napi::CallbackInfo &info);

}  // namespace pcap
