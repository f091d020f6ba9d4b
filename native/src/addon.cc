// The N-API addon: what runs inside Node, which is only the capture filter's validation as the
// user types (filter.cc). Capturing is the static agent's (native/agent over native/core).
#include <napi.h>

#include "filter.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("compileFilter", Napi::Function::New(env, pcap::CompileFilter));
  return exports;
}

}  // namespace

NODE_API_MODULE(pcap_capture, Init)
