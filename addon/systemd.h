// The systemd cgroup driver's D-Bus calls (systemd.cc), exported as `systemd` on the addon.
#pragma once
#include <napi.h>

void registerSystemd(Napi::Env env, Napi::Object exports);
