// Capture: one loaded BPF object, its attachments, and the worker thread draining its ring buffer.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <napi.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../../bpf/capture.h"
#include "errors.h"
#include "filter.h"
#include "netns.h"

// Debian's 6.1 UAPI headers predate tcx.
#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif

namespace pcap {

class Capture;

namespace {

// clsact fallback: a fixed handle and priority mark our filters, so a restart replaces its own.
constexpr __u32 kTcHandle = 0x70ca;
constexpr __u32 kTcPriority = 0xca70;
constexpr size_t kBatchBytes = 1 << 20;   // hand JS at most this much per call
constexpr int kPollMs = 15;               // drain this often even without a wakeup
constexpr size_t kMaxQueuedBatches = 16;  // then the worker waits and the kernel ring absorbs

std::mutex gLogMutex;
std::string gLastLibbpfLog;

int LibbpfPrint(enum libbpf_print_level level, const char *fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[1024];
  int n = vsnprintf(line, sizeof(line), fmt, args);
  std::lock_guard<std::mutex> lock(gLogMutex);
  gLastLibbpfLog += line;
  if (gLastLibbpfLog.size() > 16384) gLastLibbpfLog.erase(0, gLastLibbpfLog.size() - 16384);
  return n;
}

std::string TakeLibbpfLog() {
  std::lock_guard<std::mutex> lock(gLogMutex);
  std::string log;
  log.swap(gLastLibbpfLog);
  return log;
}

struct Attachment {
  std::string name;
  std::string netns;
  unsigned ifindex;
  int direction;  // CAP_DIR_*
  int linkFd;     // tcx link; -1 when attached through clsact
  bool createdQdisc;
};

using Batch = std::vector<uint8_t>;

void DeliverBatch(Napi::Env env, Napi::Function callback, Capture *, Batch *batch) {
  if (env != nullptr && callback != nullptr) {
    callback.Call({Napi::Buffer<uint8_t>::Copy(env, batch->data(), batch->size())});
  }
  delete batch;
}

}  // namespace

class Capture : public Napi::ObjectWrap<Capture> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Capture",
                       {InstanceMethod("configure", &Capture::Configure), InstanceMethod("attach", &Capture::Attach),
                        InstanceMethod("detach", &Capture::Detach), InstanceMethod("start", &Capture::Start),
                        InstanceMethod("stop", &Capture::Stop), InstanceMethod("stats", &Capture::Stats),
                        InstanceMethod("close", &Capture::Close)});
  }

  // new Capture(objectPath, { ringBytes })
  explicit Capture(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Capture>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsObject())
      throw Napi::TypeError::New(env, "Capture(objectPath: string, options: { ringBytes: number })");
    std::string path = info[0].As<Napi::String>();
    Napi::Object opts = info[1].As<Napi::Object>();
    uint32_t ringBytes = opts.Get("ringBytes").As<Napi::Number>().Uint32Value();

    libbpf_set_print(LibbpfPrint);
    TakeLibbpfLog();
    obj_ = bpf_object__open_file(path.c_str(), nullptr);
    if (!obj_) {
      int err = errno;
      throw ErrnoError(env, "open BPF object " + path, err, TakeLibbpfLog());
    }
    int cpus = libbpf_num_possible_cpus();
    bpf_map__set_max_entries(bpf_object__find_map_by_name(obj_, "cap_scratch_map"), cpus > 0 ? cpus : 1);
    int err = bpf_map__set_max_entries(bpf_object__find_map_by_name(obj_, "cap_ring"), ringBytes);
    if (err) {
      Cleanup();
      throw ErrnoError(env, "size ring buffer to " + std::to_string(ringBytes) + " bytes", -err);
    }
    // The verifier gives up with EAGAIN when a signal is pending (profilers send many): keep
    // signals away from this thread while it runs.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &previous);
    err = bpf_object__load(obj_);
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (err) {
      std::string log = TakeLibbpfLog();
      Cleanup();
      throw ErrnoError(env, "load BPF programs", -err, log);
    }
    ingress_ = bpf_program__fd(bpf_object__find_program_by_name(obj_, "cap_ingress"));
    egress_ = bpf_program__fd(bpf_object__find_program_by_name(obj_, "cap_egress"));
    config_ = bpf_map__fd(bpf_object__find_map_by_name(obj_, "cap_config_map"));
    rules_ = bpf_map__fd(bpf_object__find_map_by_name(obj_, "cap_rules"));
    ifaces_ = bpf_map__fd(bpf_object__find_map_by_name(obj_, "cap_ifaces"));
    stats_ = bpf_map__fd(bpf_object__find_map_by_name(obj_, "cap_stats_map"));
    ring_ = bpf_map__fd(bpf_object__find_map_by_name(obj_, "cap_ring"));
    cpus_ = cpus > 0 ? cpus : 1;
  }

  ~Capture() override { Cleanup(); }

 private:
  // configure({ snaplen, directions, wakeupBytes, rules: Buffer }): the rules go to the idle
  // bank, then one config write makes them live.
  Napi::Value Configure(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    RequireOpen(env);
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "configure(options)");
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Buffer<uint8_t> rules = o.Get("rules").As<Napi::Buffer<uint8_t>>();
    if (rules.Length() % sizeof(cap_rule) != 0 || rules.Length() / sizeof(cap_rule) > CAP_MAX_RULES)
      throw Napi::TypeError::New(env,
                                 "rules: a Buffer of at most " + std::to_string(CAP_MAX_RULES) + " cap_rule records");

    __u32 key = 0;
    cap_config cfg{};
    if (bpf_map_lookup_elem(config_, &key, &cfg) != 0) throw ErrnoError(env, "read capture config", errno);
    __u32 bank = cfg.active_bank ^ 1;  // the idle bank: the program never reads it mid-write
    __u32 n = rules.Length() / sizeof(cap_rule);
    for (__u32 i = 0; i < n; i++) {
      __u32 k = bank * CAP_MAX_RULES + i;
      if (bpf_map_update_elem(rules_, &k, rules.Data() + i * sizeof(cap_rule), BPF_ANY) != 0)
        throw ErrnoError(env, "write filter rule", errno);
    }
    cfg.active_bank = bank;
    cfg.nrules[bank] = n;
    cfg.snaplen = o.Get("snaplen").As<Napi::Number>().Uint32Value();
    cfg.directions = o.Get("directions").As<Napi::Number>().Uint32Value();
    cfg.wakeup_bytes = o.Get("wakeupBytes").As<Napi::Number>().Uint32Value();
    if (cfg.snaplen == 0 || cfg.snaplen > CAP_MAX_SNAPLEN)
      throw Napi::RangeError::New(env, "snaplen must be 1.." + std::to_string(CAP_MAX_SNAPLEN));
    if (bpf_map_update_elem(config_, &key, &cfg, BPF_ANY) != 0) throw ErrnoError(env, "write capture config", errno);
    return env.Undefined();
  }

  // attach({ name, netns, direction: 'in'|'out', l2Len, forceTc }) -> { ifindex, mode }
  Napi::Value Attach(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    RequireOpen(env);
    Napi::Object o = info[0].As<Napi::Object>();
    std::string name = o.Get("name").As<Napi::String>();
    std::string netns = o.Get("netns").IsString() ? o.Get("netns").As<Napi::String>().Utf8Value() : "";
    int direction = std::string(o.Get("direction").As<Napi::String>()) == "out" ? CAP_DIR_OUT : CAP_DIR_IN;
    bool forceTc = o.Get("forceTc").ToBoolean();
    cap_iface iface{};
    iface.l2_len = o.Get("l2Len").As<Napi::Number>().Uint32Value();
    std::string what = "attach to " + name + (direction == CAP_DIR_IN ? " ingress" : " egress");

    NetnsScope scope(netns);
    if (scope.error()) throw ErrnoError(env, "enter network namespace " + netns, scope.error());
    unsigned ifindex = if_nametoindex(name.c_str());
    if (ifindex == 0) throw ErrnoError(env, what, errno);
    if (bpf_map_update_elem(ifaces_, &ifindex, &iface, BPF_ANY) != 0) throw ErrnoError(env, what, errno);
    int prog = direction == CAP_DIR_IN ? ingress_ : egress_;

    Attachment a{name, netns, ifindex, direction, -1, false};
    if (!forceTc) {
      a.linkFd = bpf_link_create(
          prog, ifindex, direction == CAP_DIR_IN ? (bpf_attach_type)BPF_TCX_INGRESS : (bpf_attach_type)BPF_TCX_EGRESS,
          nullptr);
      if (a.linkFd < 0 && errno != EINVAL) throw ErrnoError(env, what, errno);
    }
    if (a.linkFd < 0) {  // kernel without tcx (< 6.6), or asked for clsact
      int err = AttachTc(ifindex, direction, prog, &a.createdQdisc);
      if (err) throw ErrnoError(env, what + " (clsact)", err, TakeLibbpfLog());
      // clsact filters outlive a killed agent. Ours on this hook was just replaced (fixed handle
      // and priority); one on the other hook would keep running into a ring nobody reads, so
      // remove it, unless this capture holds that hook (then it is our live filter).
      int other = direction == CAP_DIR_IN ? CAP_DIR_OUT : CAP_DIR_IN;
      bool holdsOther = false;
      for (const Attachment &x : attachments_)
        holdsOther |= x.ifindex == ifindex && x.direction == other && x.linkFd < 0;
      if (!holdsOther) DetachTcFilter(ifindex, other);
    }
    attachments_.push_back(a);
    Napi::Object result = Napi::Object::New(env);
    result.Set("ifindex", ifindex);
    result.Set("mode", a.linkFd >= 0 ? "tcx" : "clsact");
    return result;
  }

  static int AttachTc(unsigned ifindex, int direction, int prog, bool *createdQdisc) {
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex,
                .attach_point = direction == CAP_DIR_IN ? BPF_TC_INGRESS : BPF_TC_EGRESS);
    int err = bpf_tc_hook_create(&hook);
    if (err && err != -EEXIST) return -err;
    *createdQdisc = err == 0;
    LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog, .flags = BPF_TC_F_REPLACE, .handle = kTcHandle,
                .priority = kTcPriority);
    err = bpf_tc_attach(&hook, &opts);
    return err ? -err : 0;
  }

  // Removes our filter (fixed handle and priority) from one clsact hook, if there is one; in the
  // calling thread's netns.
  static void DetachTcFilter(unsigned ifindex, int direction) {
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex,
                .attach_point = direction == CAP_DIR_IN ? BPF_TC_INGRESS : BPF_TC_EGRESS);
    LIBBPF_OPTS(bpf_tc_opts, opts, .handle = kTcHandle, .priority = kTcPriority);
    bpf_tc_detach(&hook, &opts);
  }

  static void DetachOne(const Attachment &a) {
    if (a.linkFd >= 0) {
      close(a.linkFd);
      return;
    }
    NetnsScope scope(a.netns);
    if (scope.error()) return;
    DetachTcFilter(a.ifindex, a.direction);
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)a.ifindex,
                .attach_point = a.direction == CAP_DIR_IN ? BPF_TC_INGRESS : BPF_TC_EGRESS);
    // Only a qdisc we created is ours to remove; destroying it removes both directions.
    if (a.createdQdisc) {
      hook.attach_point = (bpf_tc_attach_point)(BPF_TC_INGRESS | BPF_TC_EGRESS);
      bpf_tc_hook_destroy(&hook);
    }
  }

  // detach(ifindex?): one interface, or all.
  Napi::Value Detach(const Napi::CallbackInfo &info) {
    bool all = info.Length() == 0 || !info[0].IsNumber();
    unsigned ifindex = all ? 0 : info[0].As<Napi::Number>().Uint32Value();
    std::vector<Attachment> keep;
    // Reverse order: a created qdisc is destroyed after the other direction's filter is gone.
    for (auto it = attachments_.rbegin(); it != attachments_.rend(); ++it) {
      if (all || it->ifindex == ifindex)
        DetachOne(*it);
      else
        keep.insert(keep.begin(), *it);
    }
    attachments_.swap(keep);
    return info.Env().Undefined();
  }

  // start(onBatch(buffer), onEnd()): drain the ring on a worker thread.
  Napi::Value Start(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    RequireOpen(env);
    if (worker_.joinable()) throw CodedError(env, "E_STATE", "capture already started");
    if (info.Length() < 2 || !info[0].IsFunction() || !info[1].IsFunction())
      throw Napi::TypeError::New(env, "start(onBatch, onEnd)");
    ringbuf_ = ring_buffer__new(ring_, &Capture::OnRecord, this, nullptr);
    if (!ringbuf_) throw ErrnoError(env, "open ring buffer", errno);
    onEnd_ = Napi::Persistent(info[1].As<Napi::Function>());
    tsfn_ = Tsfn::New(env, info[0].As<Napi::Function>(), "pcap-capture-batches", kMaxQueuedBatches, 1, this,
                      [](Napi::Env env, void *, Capture *self) { self->Finished(env); });
    stopping_ = false;
    Ref();  // kept alive until the worker has delivered its last batch
    worker_ = std::thread(&Capture::Drain, this);
    return env.Undefined();
  }

  // stop(): the worker drains what is left, delivers it, then onEnd runs.
  Napi::Value Stop(const Napi::CallbackInfo &info) {
    stopping_ = true;
    return info.Env().Undefined();
  }

  static int OnRecord(void *ctx, void *data, size_t size) {
    auto *self = static_cast<Capture *>(ctx);
    const uint8_t *bytes = static_cast<const uint8_t *>(data);
    self->batch_->insert(self->batch_->end(), bytes, bytes + size);
    return self->batch_->size() >= kBatchBytes ? -ENOBUFS : 0;  // flush, then carry on
  }

  void Flush() {
    if (batch_->empty()) return;
    tsfn_.BlockingCall(batch_);
    batch_ = new Batch();
    batch_->reserve(kBatchBytes + CAP_MAX_SNAPLEN);
  }

  void ConsumeAll() {
    if (batch_->size() >= kBatchBytes) Flush();
    while (ring_buffer__consume(ringbuf_) == -ENOBUFS) Flush();
    Flush();
  }

  void Drain() {
    batch_ = new Batch();
    batch_->reserve(kBatchBytes + CAP_MAX_SNAPLEN);
    while (!stopping_) {
      // Returns early when the kernel forces a wakeup (enough bytes pending); otherwise the
      // timeout bounds latency, and records submitted without a wakeup are consumed below.
      int n = ring_buffer__poll(ringbuf_, kPollMs);
      if (n < 0 && n != -ENOBUFS && n != -EINTR) break;
      ConsumeAll();
    }
    ConsumeAll();
    delete batch_;
    batch_ = nullptr;
    tsfn_.Release();
  }

  void Finished(Napi::Env env) {
    if (worker_.joinable()) worker_.join();
    ring_buffer__free(ringbuf_);
    ringbuf_ = nullptr;
    Napi::Function onEnd = onEnd_.Value();
    onEnd_.Reset();
    Unref();
    onEnd.Call({});
    (void)env;
  }

  // stats() -> [{ ifindex, seen, matched, captured, dropped, capturedBytes }], summed over CPUs.
  Napi::Value Stats(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    RequireOpen(env);
    Napi::Array result = Napi::Array::New(env);
    std::vector<cap_stats> perCpu(cpus_);
    __u32 key, next;
    __u32 *prev = nullptr;
    uint32_t i = 0;
    while (bpf_map_get_next_key(stats_, prev, &next) == 0) {
      key = next;
      prev = &key;
      if (bpf_map_lookup_elem(stats_, &key, perCpu.data()) != 0) continue;
      cap_stats sum{};
      for (const cap_stats &s : perCpu) {
        sum.seen += s.seen;
        sum.matched += s.matched;
        sum.captured += s.captured;
        sum.dropped += s.dropped;
        sum.captured_bytes += s.captured_bytes;
      }
      Napi::Object o = Napi::Object::New(env);
      o.Set("ifindex", key);
      o.Set("seen", static_cast<double>(sum.seen));
      o.Set("matched", static_cast<double>(sum.matched));
      o.Set("captured", static_cast<double>(sum.captured));
      o.Set("dropped", static_cast<double>(sum.dropped));
      o.Set("capturedBytes", static_cast<double>(sum.captured_bytes));
      result.Set(i++, o);
    }
    return result;
  }

  Napi::Value Close(const Napi::CallbackInfo &info) {
    if (worker_.joinable()) throw CodedError(info.Env(), "E_STATE", "stop the capture and wait for its end first");
    Cleanup();
    return info.Env().Undefined();
  }

  void RequireOpen(Napi::Env env) {
    if (!obj_) throw CodedError(env, "E_STATE", "capture is closed");
  }

  void Cleanup() {
    for (auto it = attachments_.rbegin(); it != attachments_.rend(); ++it) DetachOne(*it);
    attachments_.clear();
    if (obj_) bpf_object__close(obj_);
    obj_ = nullptr;
  }

  using Tsfn = Napi::TypedThreadSafeFunction<Capture, Batch, DeliverBatch>;

  bpf_object *obj_ = nullptr;
  int ingress_ = -1, egress_ = -1, config_ = -1, rules_ = -1, ifaces_ = -1, stats_ = -1, ring_ = -1;
  int cpus_ = 1;
  std::vector<Attachment> attachments_;
  ring_buffer *ringbuf_ = nullptr;
  Batch *batch_ = nullptr;
  std::thread worker_;
  std::atomic<bool> stopping_{false};
  Tsfn tsfn_;
  Napi::FunctionReference onEnd_;
};

Napi::Value ListInterfaces(const Napi::CallbackInfo &info);

// clocks() -> { realtimeNs, boottimeNs }: read back to back, for the wall-clock offset of records.
Napi::Value Clocks(const Napi::CallbackInfo &info) {
  timespec real{}, boot{};
  clock_gettime(CLOCK_BOOTTIME, &boot);
  clock_gettime(CLOCK_REALTIME, &real);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("realtimeNs", Napi::BigInt::New(info.Env(), static_cast<uint64_t>(real.tv_sec * 1000000000ll + real.tv_nsec)));
  o.Set("boottimeNs", Napi::BigInt::New(info.Env(), static_cast<uint64_t>(boot.tv_sec * 1000000000ll + boot.tv_nsec)));
  return o;
}

Napi::Value LibbpfVersion(const Napi::CallbackInfo &info) {
  return Napi::String::New(info.Env(), libbpf_version_string());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Capture", Capture::Define(env));
  exports.Set("listInterfaces", Napi::Function::New(env, ListInterfaces));
  exports.Set("clocks", Napi::Function::New(env, Clocks));
  exports.Set("libbpfVersion", Napi::Function::New(env, LibbpfVersion));
  exports.Set("compileFilter", Napi::Function::New(env, CompileFilter));
  exports.Set("recordVersion", Napi::Number::New(env, CAP_RECORD_VERSION));
  return exports;
}

}  // namespace pcap

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return pcap::Init(env, exports);
}

NODE_API_MODULE(pcap_capture, InitModule)
