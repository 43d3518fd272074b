// What checkpoint and restore need from the kernel beside CRIU itself (criu.cc): the SOCK_SEQPACKET
// pair `criu swrk` talks over, one message (and the fd it may carry) at a time, the bind mount of
// the rootfs CRIU restores into, and mount points made inside the rootfs.
#pragma once
#include <napi.h>

void registerCriu(Napi::Env env, Napi::Object exports);
