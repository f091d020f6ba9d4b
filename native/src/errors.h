// JS errors carrying a stable `code` (the errno name, or our own E_* code) and the errno text.
#pragma once
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace pcap {

const char *ErrnoName(int err);

// `what` names the operation and its subject ("attach eth0"); err is a positive errno.
Napi::Error ErrnoError(Napi::Env env, const std::string &what, int err, const std::string &detail = "");

Napi::Error CodedError(Napi::Env env, const char *code, const std::string &message);

}  // namespace pcap
