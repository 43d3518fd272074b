#!/bin/bash
# Installs skiff as callers run it (like runc): PREFIX/bin/skiff (the launcher) and its files in
# PREFIX/lib/skiff (skiff-engine, skiff.node, skiff-init), root-owned and writable by root alone
# (skiff refuses to load them otherwise). Each file is copied beside its final name and renamed
# into place, so that a caller running skiff during an upgrade never sees half a file.
#   scripts/install.sh [PREFIX]               default PREFIX: /usr/local
#   scripts/install.sh --uninstall [PREFIX]   removes PREFIX/bin/skiff and PREFIX/lib/skiff
set -euo pipefail
cd "$(dirname "$0")/.."
uninstall=0
if [ "${1:-}" = "--uninstall" ]; then uninstall=1; shift; fi
prefix="${1:-/usr/local}"
case "$prefix" in /*) ;; *) echo "install: PREFIX must be an absolute path (got \"$prefix\")" >&2; exit 2 ;; esac
if [ "$uninstall" = 1 ]; then
  rm -f "$prefix/bin/skiff"
  rm -rf "$prefix/lib/skiff"
  echo "install: removed $prefix/bin/skiff and $prefix/lib/skiff"
  exit 0
fi
for f in build/skiff build/Release/skiff-engine build/Release/skiff.node build/Release/skiff-init; do
  [ -f "$f" ] || { echo "install: $f is missing: run \"npm run build\" first" >&2; exit 1; }
done
owner=()
[ "$(id -u)" = 0 ] && owner=(-o root -g root)
install -d -m 0755 "${owner[@]}" "$prefix/bin" "$prefix/lib/skiff"
put() {
  install -m 0755 "${owner[@]}" "$1" "$2.new.$$"
  mv -f "$2.new.$$" "$2"
}
# The engine's files first, the launcher last: an old launcher finds a complete new engine.
for f in skiff-engine skiff.node skiff-init; do put "build/Release/$f" "$prefix/lib/skiff/$f"; done
put build/skiff "$prefix/bin/skiff"
echo "install: $prefix/bin/skiff ($("$prefix/bin/skiff" --version | head -1))"
