// The addon's one error shape: a JavaScript Error whose message names what failed and the errno
// text, with `step` and `errno` beside it (SkiffError.from reads both).
#pragma once
#include <napi.h>

#include <string>

#include "common/errno-text.h"

namespace skiff {

inline Napi::Error sysError(Napi::Env env, const std::string& step, const std::string& what, int err) {
  Napi::Error e = Napi::Error::New(env, what + ": " + errnoText(err));
  e.Set("step", Napi::String::New(env, step));
  e.Set("errno", Napi::Number::New(env, err));
  return e;
}

}  // namespace skiff
