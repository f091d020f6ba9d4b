#include "errors.h"

namespace pcap {

const char *ErrnoName(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOENT: return "ENOENT";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENXIO";
    case EINVAL: return "EINVAL";
    case ENOSYS: return "ENOSYS";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EEXIST: return "EEXIST";
    case EBUSY: return "EBUSY";
    case ENOMEM: return "ENOMEM";
    case E2BIG: return "E2BIG";
    case ENOSPC: return "ENOSPC";
    case EBADF: return "EBADF";
    case EFAULT: return "EFAULT";
    default: return "EUNKNOWN";
  }
}

Napi::Error ErrnoError(Napi::Env env, const std::string &what, int err, const std::string &detail) {
  std::string message = what + ": " + std::strerror(err);
  if (!detail.empty()) message += "\n" + detail;
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("errno", Napi::Number::New(env, err));
  return e;
}

Napi::Error CodedError(Napi::Env env, const char *code, const std::string &message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

}  // namespace pcap
