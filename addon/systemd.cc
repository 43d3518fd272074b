// The systemd cgroup driver's D-Bus client: transient scope units (StartTransientUnit with
// Delegate=yes and the resource properties), their properties, and stopping them.
//
// libsystemd is opened with dlopen on first use: every other skiff command (and every host without
// systemd) loads the addon without it, and a missing libsystemd is a clear error, not a failed load.
// The calls are synchronous (sd-bus), like the rest of `create`: skiff waits for each job to finish,
// as runc does, so the init is in its scope before it runs.
#include "systemd.h"

#include "common/errno-text.h"

#include <dlfcn.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <type_traits>

namespace {

const char* const kDest = "org.freedesktop.systemd1";
const char* const kPath = "/org/freedesktop/systemd1";
const char* const kManager = "org.freedesktop.systemd1.Manager";
// runc waits 30 s for a job; a loaded systemd can take seconds to start a scope.
const uint64_t kJobTimeoutUsec = 30ULL * 1000 * 1000;

// The libsystemd functions skiff uses, resolved once by dlopen.
struct SdBus {
  bool loaded = false;
  std::string error;
#define SD_FN(name) decltype(&::name) name = nullptr
  SD_FN(sd_bus_new);
  SD_FN(sd_bus_set_address);
  SD_FN(sd_bus_start);
  SD_FN(sd_bus_open_system);
  SD_FN(sd_bus_open_user);
  SD_FN(sd_bus_flush_close_unref);
  SD_FN(sd_bus_message_new_method_call);
  SD_FN(sd_bus_message_append);
  SD_FN(sd_bus_message_append_basic);
  SD_FN(sd_bus_message_append_array);
  SD_FN(sd_bus_message_open_container);
  SD_FN(sd_bus_message_close_container);
  SD_FN(sd_bus_message_read);
  SD_FN(sd_bus_message_unref);
  SD_FN(sd_bus_call);
  SD_FN(sd_bus_call_method);
  SD_FN(sd_bus_match_signal);
  SD_FN(sd_bus_slot_unref);
  SD_FN(sd_bus_process);
  SD_FN(sd_bus_wait);
  SD_FN(sd_bus_error_free);
  SD_FN(sd_bus_error_has_name);
  SD_FN(sd_bus_get_property_string);
  SD_FN(sd_bus_path_encode);
#undef SD_FN
};

SdBus& sd() {
  static SdBus s;
  if (s.loaded || !s.error.empty()) return s;
  void* h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    s.error = std::string("the systemd cgroup driver needs libsystemd.so.0: ") + dlerror();
    return s;
  }
  bool ok = true;
  auto load = [&](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(h, name));
    if (!fn && ok) {
      ok = false;
      s.error = std::string("libsystemd.so.0 lacks ") + name + " (systemd too old?)";
    }
  };
#define SD_LOAD(name) load(s.name, #name)
  SD_LOAD(sd_bus_new);
  SD_LOAD(sd_bus_set_address);
  SD_LOAD(sd_bus_start);
  SD_LOAD(sd_bus_open_system);
  SD_LOAD(sd_bus_open_user);
  SD_LOAD(sd_bus_flush_close_unref);
  SD_LOAD(sd_bus_message_new_method_call);
  SD_LOAD(sd_bus_message_append);
  SD_LOAD(sd_bus_message_append_basic);
  SD_LOAD(sd_bus_message_append_array);
  SD_LOAD(sd_bus_message_open_container);
  SD_LOAD(sd_bus_message_close_container);
  SD_LOAD(sd_bus_message_read);
  SD_LOAD(sd_bus_message_unref);
  SD_LOAD(sd_bus_call);
  SD_LOAD(sd_bus_call_method);
  SD_LOAD(sd_bus_match_signal);
  SD_LOAD(sd_bus_slot_unref);
  SD_LOAD(sd_bus_process);
  SD_LOAD(sd_bus_wait);
  SD_LOAD(sd_bus_error_free);
  SD_LOAD(sd_bus_error_has_name);
  SD_LOAD(sd_bus_get_property_string);
  SD_LOAD(sd_bus_path_encode);
#undef SD_LOAD
  s.loaded = ok;
  return s;
}

Napi::Error sdError(Napi::Env env, const std::string& what, const sd_bus_error* be, int r) {
  std::string text = what + ": ";
  std::string code;
  if (be && be->name) {
    code = be->name;
    text += std::string(be->name) + (be->message ? std::string(": ") + be->message : "");
  } else {
    text += skiff::errnoText(r);
  }
  Napi::Error e = Napi::Error::New(env, text);
  e.Set("step", Napi::String::New(env, "systemd"));
  if (!code.empty()) e.Set("code", Napi::String::New(env, code));
  if (r < 0) e.Set("errno", Napi::Number::New(env, -r));
  return e;
}

// RAII owners for the sd-bus objects.
struct Bus {
  sd_bus* p = nullptr;
  ~Bus() {
    if (p) sd().sd_bus_flush_close_unref(p);
  }
};
struct Msg {
  sd_bus_message* p = nullptr;
  ~Msg() {
    if (p) sd().sd_bus_message_unref(p);
  }
};
struct Slot {
  sd_bus_slot* p = nullptr;
  ~Slot() {
    if (p) sd().sd_bus_slot_unref(p);
  }
};
struct BusError {
  sd_bus_error e = SD_BUS_ERROR_NULL;
  ~BusError() { sd().sd_bus_error_free(&e); }
};

// The system instance, or (rootless: setUserManager) the user's own, as runc's systemd driver.
bool gUserManager = false;

// A manager's private socket: no dbus-daemon needed, and job signals come unasked (what systemctl
// does). As root, the system instance's; for the user instance, $XDG_RUNTIME_DIR/systemd/private.
// Otherwise, or when it is missing, the system bus or the user's session bus.
void connect(Napi::Env env, Bus& bus, bool& direct) {
  SdBus& s = sd();
  if (!s.loaded) throw Napi::Error::New(env, s.error);
  int r;
  direct = false;
  std::string privateSocket;
  if (gUserManager) {
    const char* xdg = getenv("XDG_RUNTIME_DIR");
    if (xdg && xdg[0] == '/') privateSocket = std::string(xdg) + "/systemd/private";
  } else if (geteuid() == 0) {
    privateSocket = "/run/systemd/private";
  }
  if (!privateSocket.empty() && access(privateSocket.c_str(), F_OK) == 0) {
    r = s.sd_bus_new(&bus.p);
    if (r >= 0) r = s.sd_bus_set_address(bus.p, ("unix:path=" + privateSocket).c_str());
    if (r >= 0) r = s.sd_bus_start(bus.p);
    if (r >= 0) {
      direct = true;
      return;
    }
    if (bus.p) s.sd_bus_flush_close_unref(bus.p);
    bus.p = nullptr;
  }
  if (gUserManager) {
    r = s.sd_bus_open_user(&bus.p);
    if (r < 0)
      throw sdError(env, "connect to the user's systemd instance (no $XDG_RUNTIME_DIR/systemd/private, no session bus)",
                    nullptr, r);
    return;
  }
  r = s.sd_bus_open_system(&bus.p);
  if (r < 0) throw sdError(env, "connect to systemd (system bus)", nullptr, r);
}

uint64_t toU64(Napi::Env env, const Napi::Value& v, const std::string& name) {
  if (v.IsBigInt()) {
    bool lossless = true;
    uint64_t x = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) throw Napi::TypeError::New(env, "systemd property " + name + ": value out of range");
    return x;
  }
  if (v.IsString()) {
    std::string t = v.As<Napi::String>();
    char* end = nullptr;
    errno = 0;
    unsigned long long x = strtoull(t.c_str(), &end, 10);
    if (t.empty() || *end || errno)
      throw Napi::TypeError::New(env, "systemd property " + name + ": not a number: " + t);
    return x;
  }
  if (v.IsNumber()) return (uint64_t)v.As<Napi::Number>().Int64Value();
  throw Napi::TypeError::New(env, "systemd property " + name + ": expected a number");
}

// Appends one (sv) property: [name, signature, value] from JavaScript. The signatures are the ones
// the driver uses: s b t u as au ay a(ss) a(st).
int appendProperty(Napi::Env env, sd_bus_message* m, const Napi::Array& prop) {
  SdBus& s = sd();
  std::string name = prop.Get(0u).As<Napi::String>();
  std::string sig = prop.Get(1u).As<Napi::String>();
  Napi::Value v = prop.Get(2u);
  int r = s.sd_bus_message_open_container(m, 'r', "sv");
  if (r >= 0) r = s.sd_bus_message_append_basic(m, 's', name.c_str());
  if (r >= 0) r = s.sd_bus_message_open_container(m, 'v', sig.c_str());
  if (r < 0) return r;
  if (sig == "s") {
    std::string x = v.As<Napi::String>();
    r = s.sd_bus_message_append_basic(m, 's', x.c_str());
  } else if (sig == "b") {
    int x = v.ToBoolean() ? 1 : 0;
    r = s.sd_bus_message_append_basic(m, 'b', &x);
  } else if (sig == "t") {
    uint64_t x = toU64(env, v, name);
    r = s.sd_bus_message_append_basic(m, 't', &x);
  } else if (sig == "u") {
    uint32_t x = v.As<Napi::Number>().Uint32Value();
    r = s.sd_bus_message_append_basic(m, 'u', &x);
  } else if (sig == "as" || sig == "au") {
    Napi::Array a = v.As<Napi::Array>();
    r = s.sd_bus_message_open_container(m, 'a', sig.c_str() + 1);
    for (uint32_t i = 0; r >= 0 && i < a.Length(); i++) {
      if (sig == "as") {
        std::string x = a.Get(i).As<Napi::String>();
        r = s.sd_bus_message_append_basic(m, 's', x.c_str());
      } else {
        uint32_t x = a.Get(i).As<Napi::Number>().Uint32Value();
        r = s.sd_bus_message_append_basic(m, 'u', &x);
      }
    }
    if (r >= 0) r = s.sd_bus_message_close_container(m);
  } else if (sig == "ay") {
    Napi::Array a = v.As<Napi::Array>();
    std::string bytes;
    for (uint32_t i = 0; i < a.Length(); i++) bytes.push_back((char)a.Get(i).As<Napi::Number>().Uint32Value());
    r = s.sd_bus_message_append_array(m, 'y', bytes.data(), bytes.size());
  } else if (sig == "a(ss)" || sig == "a(st)") {
    Napi::Array a = v.As<Napi::Array>();
    r = s.sd_bus_message_open_container(m, 'a', sig.c_str() + 1);
    for (uint32_t i = 0; r >= 0 && i < a.Length(); i++) {
      Napi::Array pair = a.Get(i).As<Napi::Array>();
      std::string first = pair.Get(0u).As<Napi::String>();
      r = s.sd_bus_message_open_container(m, 'r', sig == "a(ss)" ? "ss" : "st");
      if (r >= 0) r = s.sd_bus_message_append_basic(m, 's', first.c_str());
      if (r >= 0 && sig == "a(ss)") {
        std::string second = pair.Get(1u).As<Napi::String>();
        r = s.sd_bus_message_append_basic(m, 's', second.c_str());
      } else if (r >= 0) {
        uint64_t x = toU64(env, pair.Get(1u), name);
        r = s.sd_bus_message_append_basic(m, 't', &x);
      }
      if (r >= 0) r = s.sd_bus_message_close_container(m);
    }
    if (r >= 0) r = s.sd_bus_message_close_container(m);
  } else {
    throw Napi::TypeError::New(env, "systemd property " + name + ": unsupported signature " + sig);
  }
  if (r >= 0) r = s.sd_bus_message_close_container(m);
  if (r >= 0) r = s.sd_bus_message_close_container(m);
  return r;
}

int appendProperties(Napi::Env env, sd_bus_message* m, const Napi::Array& props) {
  int r = sd().sd_bus_message_open_container(m, 'a', "(sv)");
  for (uint32_t i = 0; r >= 0 && i < props.Length(); i++) r = appendProperty(env, m, props.Get(i).As<Napi::Array>());
  if (r >= 0) r = sd().sd_bus_message_close_container(m);
  return r;
}

// Job completion: JobRemoved(u id, o job, s unit, s result) for every job; kept until ours shows.
struct JobWatch {
  std::map<std::string, std::string> results;  // job path → result
};

int onJobRemoved(sd_bus_message* m, void* userdata, sd_bus_error*) {
  auto* w = static_cast<JobWatch*>(userdata);
  uint32_t id = 0;
  const char *job = nullptr, *unit = nullptr, *result = nullptr;
  if (sd().sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) < 0) return 0;
  w->results[job] = result;
  return 0;
}

void subscribe(Napi::Env env, Bus& bus, bool direct, Slot& slot, JobWatch& watch) {
  SdBus& s = sd();
  int r = s.sd_bus_match_signal(bus.p, &slot.p, direct ? nullptr : kDest, kPath, kManager, "JobRemoved", onJobRemoved,
                                &watch);
  if (r < 0) throw sdError(env, "subscribe to systemd's job signals", nullptr, r);
  if (!direct) {
    // On the system bus systemd only sends job signals once a client subscribed.
    BusError be;
    Msg reply;
    r = s.sd_bus_call_method(bus.p, kDest, kPath, kManager, "Subscribe", &be.e, &reply.p, "");
    if (r < 0) throw sdError(env, "systemd Subscribe", &be.e, r);
  }
}

// Waits for the job the call returned; its result must be "done".
void waitJob(Napi::Env env, Bus& bus, JobWatch& watch, const std::string& job, const std::string& what) {
  SdBus& s = sd();
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    auto it = watch.results.find(job);
    if (it != watch.results.end()) {
      if (it->second == "done") return;
      Napi::Error e = Napi::Error::New(env, what + ": the systemd job ended with result \"" + it->second + "\"");
      e.Set("step", Napi::String::New(env, "systemd"));
      throw e;
    }
    int r = s.sd_bus_process(bus.p, nullptr);
    if (r < 0) throw sdError(env, what + ": waiting for the systemd job", nullptr, r);
    if (r > 0) continue;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t spent = (uint64_t)(now.tv_sec - t0.tv_sec) * 1000000ULL + (uint64_t)((now.tv_nsec - t0.tv_nsec) / 1000);
    if (spent >= kJobTimeoutUsec) {
      Napi::Error e = Napi::Error::New(env, what + ": timed out after 30 s waiting for systemd's job " + job);
      e.Set("step", Napi::String::New(env, "systemd"));
      throw e;
    }
    r = s.sd_bus_wait(bus.p, kJobTimeoutUsec - spent);
    if (r < 0 && r != -EINTR) throw sdError(env, what + ": waiting for the systemd job", nullptr, r);
  }
}

// Calls a Manager method that returns a job ("o") and waits for it. Returns false if the call
// failed with the D-Bus error `tolerated` (e.g. NoSuchUnit for a stop).
bool callJob(Napi::Env env, Bus& bus, bool direct, sd_bus_message* call, const std::string& what,
             const char* tolerated = nullptr) {
  SdBus& s = sd();
  Slot slot;
  JobWatch watch;
  subscribe(env, bus, direct, slot, watch);
  BusError be;
  Msg reply;
  int r = s.sd_bus_call(bus.p, call, 0, &be.e, &reply.p);
  if (r < 0) {
    if (tolerated && s.sd_bus_error_has_name(&be.e, tolerated)) return false;
    throw sdError(env, what, &be.e, r);
  }
  const char* job = nullptr;
  r = s.sd_bus_message_read(reply.p, "o", &job);
  if (r < 0) throw sdError(env, what + ": read the job path", nullptr, r);
  waitJob(env, bus, watch, job, what);
  return true;
}

// One connection per call (a command makes a handful), and the Manager method calls built on it.
struct Session {
  Bus bus;
  bool direct = false;
  explicit Session(Napi::Env env) { connect(env, bus, direct); }

  void newCall(Napi::Env env, Msg& m, const char* member, const std::string& what) {
    int r = sd().sd_bus_message_new_method_call(bus.p, &m.p, kDest, kPath, kManager, member);
    if (r < 0) throw sdError(env, what + ": build the D-Bus message", nullptr, r);
  }

  // ResetFailedUnit(unit): < 0 with the D-Bus error in `be` when systemd refused.
  int resetFailed(const std::string& unit, BusError& be) {
    Msg reply;
    return sd().sd_bus_call_method(bus.p, kDest, kPath, kManager, "ResetFailedUnit", &be.e, &reply.p, "s",
                                   unit.c_str());
  }
};

void checkBuilt(Napi::Env env, int r, const std::string& what) {
  if (r < 0) throw sdError(env, what + ": build the D-Bus message", nullptr, r);
}

// startTransientUnit(name, properties): StartTransientUnit(name, "fail", properties, []) and waits
// for the job. Errors carry the D-Bus error name in `code` (e.g. org.freedesktop.systemd1.UnitExists).
Napi::Value StartTransientUnit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string unit = info[0].As<Napi::String>();
  Napi::Array props = info[1].As<Napi::Array>();
  std::string what = "start systemd unit " + unit;
  Session ss(env);
  Msg m;
  ss.newCall(env, m, "StartTransientUnit", what);
  int r = sd().sd_bus_message_append(m.p, "ss", unit.c_str(), "fail");
  if (r >= 0) r = appendProperties(env, m.p, props);
  if (r >= 0) r = sd().sd_bus_message_append(m.p, "a(sa(sv))", 0);  // no auxiliary units
  checkBuilt(env, r, what);
  callJob(env, ss.bus, ss.direct, m.p, what);
  return env.Undefined();
}

// stopUnit(name) → false when systemd has no such unit (already gone). A unit that failed (an OOM
// kill, for one) stays loaded until its failure is reset: reset it too, so the name is free again.
Napi::Value StopUnit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string unit = info[0].As<Napi::String>();
  std::string what = "stop systemd unit " + unit;
  Session ss(env);
  Msg m;
  ss.newCall(env, m, "StopUnit", what);
  checkBuilt(env, sd().sd_bus_message_append(m.p, "ss", unit.c_str(), "replace"), what);
  bool existed = callJob(env, ss.bus, ss.direct, m.p, what, "org.freedesktop.systemd1.NoSuchUnit");
  BusError be;
  ss.resetFailed(unit, be);  // not failed, or already gone: nothing to reset
  return Napi::Boolean::New(env, existed);
}

// resetFailedUnit(name): frees the name of a unit left failed (ignored when there is none).
Napi::Value ResetFailedUnit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string unit = info[0].As<Napi::String>();
  Session ss(env);
  BusError be;
  int r = ss.resetFailed(unit, be);
  if (r < 0 && !sd().sd_bus_error_has_name(&be.e, "org.freedesktop.systemd1.NoSuchUnit"))
    throw sdError(env, "reset systemd unit " + unit, &be.e, r);
  return env.Undefined();
}

// setUnitProperties(name, properties): SetUnitProperties(name, runtime=true, properties).
Napi::Value SetUnitProperties(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string unit = info[0].As<Napi::String>();
  Napi::Array props = info[1].As<Napi::Array>();
  std::string what = "set properties of systemd unit " + unit;
  Session ss(env);
  Msg m;
  ss.newCall(env, m, "SetUnitProperties", what);
  int runtime = 1;
  int r = sd().sd_bus_message_append(m.p, "sb", unit.c_str(), runtime);
  if (r >= 0) r = appendProperties(env, m.p, props);
  checkBuilt(env, r, what);
  BusError be;
  Msg reply;
  r = sd().sd_bus_call(ss.bus.p, m.p, 0, &be.e, &reply.p);
  if (r < 0) throw sdError(env, what, &be.e, r);
  return env.Undefined();
}

// unitProperty(name, interface, property) → the string property of a loaded unit, or undefined
// when systemd has no such unit.
Napi::Value UnitProperty(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string unit = info[0].As<Napi::String>();
  std::string iface = info[1].As<Napi::String>();
  std::string prop = info[2].As<Napi::String>();
  Session ss(env);
  sd_bus* bus = ss.bus.p;
  SdBus& s = sd();
  BusError be;
  Msg reply;
  int r = s.sd_bus_call_method(bus, kDest, kPath, kManager, "GetUnit", &be.e, &reply.p, "s", unit.c_str());
  if (r < 0) {
    if (s.sd_bus_error_has_name(&be.e, "org.freedesktop.systemd1.NoSuchUnit")) return env.Undefined();
    throw sdError(env, "look up systemd unit " + unit, &be.e, r);
  }
  const char* path = nullptr;
  r = s.sd_bus_message_read(reply.p, "o", &path);
  if (r < 0) throw sdError(env, "look up systemd unit " + unit, nullptr, r);
  BusError be2;
  char* value = nullptr;
  r = s.sd_bus_get_property_string(bus, kDest, path, iface.c_str(), prop.c_str(), &be2.e, &value);
  if (r < 0) throw sdError(env, "read " + prop + " of systemd unit " + unit, &be2.e, r);
  Napi::String out = Napi::String::New(env, value ? value : "");
  free(value);
  return out;
}

// managerProperty(name) → a string property of the manager itself ("Version", "Virtualization").
Napi::Value ManagerProperty(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string prop = info[0].As<Napi::String>();
  Session ss(env);
  BusError be;
  char* value = nullptr;
  int r = sd().sd_bus_get_property_string(ss.bus.p, kDest, kPath, kManager, prop.c_str(), &be.e, &value);
  if (r < 0) throw sdError(env, "read systemd's " + prop, &be.e, r);
  Napi::String out = Napi::String::New(env, value ? value : "");
  free(value);
  return out;
}

}  // namespace

void registerSystemd(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("startTransientUnit", Napi::Function::New(env, StartTransientUnit));
  o.Set("stopUnit", Napi::Function::New(env, StopUnit));
  o.Set("resetFailedUnit", Napi::Function::New(env, ResetFailedUnit));
  o.Set("setUnitProperties", Napi::Function::New(env, SetUnitProperties));
  o.Set("unitProperty", Napi::Function::New(env, UnitProperty));
  o.Set("managerProperty", Napi::Function::New(env, ManagerProperty));
  o.Set("setUserManager", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
          gUserManager = info[0].As<Napi::Boolean>();
          return info.Env().Undefined();
        }));
  exports.Set("systemd", o);
}
