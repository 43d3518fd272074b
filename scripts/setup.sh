#!/bin/bash
# Installs what skiff's build and tests need on a fresh Debian 12 machine (run as root), then the
# npm dependencies. Idempotent: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v busybox >/dev/null && [ -x /bin/busybox ] && file_static=$(ldd /bin/busybox 2>&1 || true) && [[ "$file_static" == *"not a dynamic"* ]] || need+=(busybox-static)
[ -f /usr/lib/x86_64-linux-gnu/libseccomp.a ] || need+=(libseccomp-dev)
# sd-bus headers for the systemd cgroup driver (libsystemd itself is opened at run time).
[ -f /usr/include/systemd/sd-bus.h ] || need+=(libsystemd-dev)
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(libc6-dev)
command -v g++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
command -v python3 >/dev/null || need+=(python3)
# The runtime-tools validation suite (Go 1.19, built offline from ../shared/third-party).
command -v go >/dev/null || need+=(golang-go)
# Formatting of the C++ (scripts/lint.sh).
command -v clang-format >/dev/null || need+=(clang-format)
# newuidmap/newgidmap: rootless containers with a subordinate id range (the rootless tests).
[ -x /usr/bin/newuidmap ] && [ -x /usr/bin/newgidmap ] || need+=(uidmap)
# CRIU for checkpoint/restore (the VM suite runs it on Debian's kernel; the host tests its errors).
[ -x /usr/sbin/criu ] || need+=(criu)
# Peers for differential tests and benchmarks.
command -v runc >/dev/null || need+=(runc)
command -v crun >/dev/null || need+=(crun)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages: ${need[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 || {
    apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  }
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
