#!/bin/bash
# Builds the opencontainers runtime-tools validation suite (../shared/third-party, commit 260e151,
# vendored, offline) into build/runtime-tools: its ~58 validation/*/*.t programs, runtimetest and
# the busybox rootfs tarball they unpack. Rebuilt only when the tarball changes.
set -euo pipefail
cd "$(dirname "$0")/../.."
src=${RUNTIME_TOOLS_TARBALL:-../shared/third-party/runtime-tools-260e151.tar.gz}
out=build/runtime-tools
if [ ! -f "$src" ]; then
  echo "runtime-tools: $src not found (the suite's source, see ../shared/third-party/README.md)" >&2
  exit 1
fi
command -v go >/dev/null || { echo "runtime-tools: go is missing (scripts/setup.sh installs golang-go)" >&2; exit 1; }
sum=$(sha256sum "$src" | cut -d' ' -f1)
if [ -f "$out/.built" ] && [ "$(cat "$out/.built")" = "$sum" ]; then exit 0; fi
rm -rf "$out" && mkdir -p "$out"
tar xzf "$src" -C "$out"
# Offline: vendored modules only, no toolchain download, the build cache inside build/.
export GOFLAGS=-mod=vendor GOTOOLCHAIN=local GOPROXY=off GOCACHE="$PWD/build/go-cache" GOPATH="$PWD/build/go-path"
make -C "$out" runtimetest validation-executables >build/runtime-tools.log 2>&1 || { tail -30 build/runtime-tools.log >&2; exit 1; }
n=$(find "$out/validation" -name '*.t' | wc -l)
echo "$sum" >"$out/.built"
echo "runtime-tools: $n validation programs built in $out" >&2
