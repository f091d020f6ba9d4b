// compileFilter(text, linkType) -> { ok: true, expression } | { ok: false, error }: whether a
// capture filter will run, for validation as the user types. The same reading of the text (a
// PROTO,PORT filter becomes its expression), libpcap compile and eBPF translation as a capture
// (native/core), without loading anything into the kernel: no privilege needed.
#include "filter.h"

#include <string>

#include "filter-compile.h"
#include "filter-ebpf.h"
#include "filter-text.h"

namespace pcap {

namespace {

constexpr unsigned int kValidationSnaplen = 262144;  // the match value does not matter here

// libpcap's message, or the translation's, or "" when the filter compiles and translates.
std::string FilterProblem(const std::string &expr, filter_link link) {
  char err[FILTER_ERR_SIZE] = "";
  filter_cbpf cbpf{};
  if (filter_compile(expr.c_str(), link, kValidationSnaplen, 0, &cbpf, err) != 0) return err;
  filter_ebpf ebpf{};
  int rc = filter_translate(cbpf.insns, cbpf.len, &ebpf, err, sizeof(err));
  filter_ebpf_free(&ebpf);
  filter_cbpf_free(&cbpf);
  return rc == 0 ? "" : err;
}

}  // namespace

Napi::Value CompileFilter(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString())
    throw Napi::TypeError::New(env, "compileFilter(text: string, linkType: 'ethernet' | 'raw')");
  std::string text = info[0].As<Napi::String>();
  std::string link = info[1].As<Napi::String>();
  if (link != "ethernet" && link != "raw")
    throw Napi::TypeError::New(env, "compileFilter: linkType is 'ethernet' or 'raw', not '" + link + "'");
  if (text.find('\0') != std::string::npos)
    throw Napi::TypeError::New(env, "compileFilter: the expression contains a NUL character");
  Napi::Object result = Napi::Object::New(env);
  char buf[512];  // a PROTO,PORT filter's expression is short
  pcore_error e{};
  const char *expr = filter_expression(text.c_str(), buf, sizeof(buf), &e);
  std::string problem = expr ? FilterProblem(expr, link == "raw" ? FILTER_LINK_RAW : FILTER_LINK_ETHERNET) : e.message;
  result.Set("ok", problem.empty());
  if (problem.empty())
    result.Set("expression", std::string(expr));
  else
    result.Set("error", problem);
  return result;
}

}  // namespace pcap
