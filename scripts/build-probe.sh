#!/usr/bin/env bash
# Build the static test payload: test/probe/probe.c -> build/probe.
#
# Usage: scripts/build-probe.sh [--force]
#   Rebuilds only when build/probe is missing or older than probe.c or this
#   script (--force: always).  Prints "probe: <path>" after a build, nothing
#   when already up to date.  Honours $CC (default gcc).  Exit 1 with a clear
#   message if static linking does not work (e.g. libc6-dev missing).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/test/probe/probe.c"
OUT="$ROOT/build/probe"
CC="${CC:-gcc}"
CFLAGS=(-std=c11 -static -O2 -Wall -Wextra -Werror)

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-probe: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

if [[ ! -f "$SRC" ]]; then
  echo "build-probe: source not found: $SRC" >&2
  exit 1
fi

if [[ $force -eq 0 && -x "$OUT" && ! "$SRC" -nt "$OUT" && ! "${BASH_SOURCE[0]}" -nt "$OUT" ]]; then
  exit 0
fi

if ! command -v "$CC" >/dev/null 2>&1; then
  echo "build-probe: compiler '$CC' not found (apt-get install gcc libc6-dev)" >&2
  exit 1
fi

mkdir -p "$ROOT/build"
tmpdir="$(mktemp -d "$ROOT/build/.probe-build.XXXXXX")"
trap 'rm -rf "$tmpdir"' EXIT

# Sanity check: can this toolchain produce a static binary at all?
printf 'int main(void){return 0;}\n' > "$tmpdir/check.c"
if ! "$CC" -static -o "$tmpdir/check" "$tmpdir/check.c" >"$tmpdir/check.log" 2>&1; then
  echo "build-probe: '$CC -static' does not work; static libc is needed (apt-get install libc6-dev)." >&2
  sed 's/^/  /' "$tmpdir/check.log" >&2
  exit 1
fi

"$CC" "${CFLAGS[@]}" -o "$tmpdir/probe" "$SRC"
# rename into place: atomic, and safe even if an old build/probe is running
mv -f "$tmpdir/probe" "$OUT"
echo "probe: $OUT"
