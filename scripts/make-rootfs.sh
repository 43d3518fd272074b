#!/usr/bin/env bash
# Create a minimal root filesystem for test containers.
#
# Usage: scripts/make-rootfs.sh [DEST]      (default: <repo>/build/rootfs)
#
# DEST gets: bin/busybox (copy of the static /bin/busybox) plus a symlink
# bin/<applet> -> busybox for every applet of `busybox --list`; bin/probe
# (copy of build/probe, built first via scripts/build-probe.sh); sbin,
# usr/bin, usr/sbin as symlinks to bin; empty dirs proc sys dev dev/pts
# dev/shm run var root etc home/probe, tmp (1777); etc/passwd, etc/group,
# etc/hostname.  All directories are 0755 (not writable by others) except
# tmp.  Idempotent: only re-copies busybox/probe when the source is newer,
# and does nothing at all when everything is up to date.
# Prints exactly one line on success: "rootfs: <absolute DEST>".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SELF="${BASH_SOURCE[0]}"
BUSYBOX="${BUSYBOX:-/bin/busybox}"
PROBE="$ROOT/build/probe"

case "${1:-}" in
  -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
if [[ $# -gt 1 ]]; then
  echo "make-rootfs: usage: $0 [DEST]" >&2
  exit 2
fi
DEST="${1:-$ROOT/build/rootfs}"

fail() { echo "make-rootfs: $*" >&2; exit 1; }

[[ -x "$BUSYBOX" ]] || fail "$BUSYBOX not found (apt-get install busybox-static)"
if command -v file >/dev/null 2>&1 && file -L "$BUSYBOX" | grep -q 'dynamically linked'; then
  fail "$BUSYBOX is dynamically linked; install busybox-static"
fi

"$ROOT/scripts/build-probe.sh" >/dev/null || fail "building probe failed"

mkdir -p "$DEST"
DEST="$(cd "$DEST" && pwd)"

# Fast path: everything present and nothing newer than what we built.
# etc/group is written last, so its presence means a previous run completed.
if [[ -f "$DEST/etc/group" && -x "$DEST/bin/busybox" && -x "$DEST/bin/probe" && -L "$DEST/bin/sh" \
      && ! "$BUSYBOX" -nt "$DEST/bin/busybox" && ! "$PROBE" -nt "$DEST/bin/probe" \
      && ! "$SELF" -nt "$DEST/etc/group" ]]; then
  echo "rootfs: $DEST"
  exit 0
fi

# copy SRC DST: atomically replace DST (rename, so a running copy is unaffected)
install_file() {
  local src="$1" dst="$2" mode="$3"
  if [[ ! -e "$dst" || "$src" -nt "$dst" ]]; then
    cp -f "$src" "$dst.tmp.$$"
    chmod "$mode" "$dst.tmp.$$"
    mv -f "$dst.tmp.$$" "$dst"
  fi
}

# write DST with the given content (atomically)
write_file() {
  local dst="$1" mode="$2" content="$3"
  printf '%s' "$content" > "$dst.tmp.$$"
  chmod "$mode" "$dst.tmp.$$"
  mv -f "$dst.tmp.$$" "$dst"
}

# relative symlink NAME -> TARGET, unless already a symlink
ensure_link() {
  local target="$1" name="$2"
  if [[ ! -L "$name" ]]; then
    [[ -e "$name" ]] && return 0   # never clobber a real file
    ln -s "$target" "$name" 2>/dev/null || [[ -L "$name" ]] || fail "cannot create symlink $name"
  fi
}

# /out, /data and /mnt: the tests' mount points (the probe's report, volumes, a test's own mount).
# They must be there before a test needs them: a mapped root in a user namespace cannot create them
# in a root-owned rootfs, and a test must not change the shared rootfs by making them.
for d in bin etc proc sys dev dev/pts dev/shm run var root home home/probe usr out data mnt; do
  mkdir -p "$DEST/$d"
  chmod 0755 "$DEST/$d"
done
mkdir -p "$DEST/tmp"
chmod 1777 "$DEST/tmp"
chmod 0755 "$DEST"
if [[ $(id -u) -eq 0 ]]; then
  chown 1000:1000 "$DEST/home/probe"
fi

install_file "$BUSYBOX" "$DEST/bin/busybox" 0755
install_file "$PROBE" "$DEST/bin/probe" 0755

applets="$("$BUSYBOX" --list)" || fail "$BUSYBOX --list failed"
for a in $applets; do
  case "$a" in
    busybox|probe|*/*|.|..|'') continue ;;
  esac
  ensure_link busybox "$DEST/bin/$a"
done
ensure_link bin "$DEST/sbin"
ensure_link ../bin "$DEST/usr/bin"
ensure_link ../bin "$DEST/usr/sbin"

write_file "$DEST/etc/hostname" 0644 $'skiff\n'
write_file "$DEST/etc/passwd" 0644 \
'root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
probe:x:1000:1000:probe:/home/probe:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
'
# etc/group last: it marks a completed build for the fast path above
write_file "$DEST/etc/group" 0644 \
'root:x:0:
daemon:x:1:
users:x:100:
probe:x:1000:probe
nogroup:x:65534:
'

echo "rootfs: $DEST"
