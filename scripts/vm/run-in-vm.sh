#!/bin/bash
# run-in-vm.sh: runs one command as root inside a throw-away qemu VM (software emulation, no KVM
# needed) whose kernel has a pure cgroup v2 hierarchy at /sys/fs/cgroup with every controller
# enabled in the root's cgroup.subtree_control. Used by test/vm/cgroup-v2.test.ts.
#
# The guest sees the host's filesystem: host / over virtio-9p, read-only, under an overlay with a
# tmpfs upper layer (guest writes are thrown away). The checkout (or each --rw DIR) is shared
# read-write at the same path. /tmp and /run are fresh tmpfs; /dev/vda is a 1 GiB "null" disk (reads
# return zeros) for io.max tests; 16 huge pages of 2 MiB are reserved; only lo networking.
# The command runs in the same cwd with the same environment, stdin /dev/null; its stdout and stderr
# are streamed back, and its exit status becomes this script's (124: timeout, 125: the VM failed).
#
# Everything comes from Debian packages: qemu-system-x86, busybox-static and kmod are installed when
# missing; the kernel package (what linux-image-amd64 depends on) is fetched with `apt-get download`
# and unpacked into the cache directory, never installed into /boot or /lib/modules.
#
# Usage: scripts/vm/run-in-vm.sh [--rw DIR]... [--mem MB] [--timeout S] [--systemd] [--prepare] [--] CMD [ARGS...]
#   --systemd   boot the host's own systemd as PID 1 (for the systemd cgroup driver), straight into a
#               target that runs only the command, as a service with Delegate=yes
#   --hybrid    with --systemd: no cgroup2 mount of ours; systemd lays out a hybrid hierarchy (v1
#               controllers, cgroup2 at /sys/fs/cgroup/unified), as on older hosts
#   --prepare   only install the packages and build the cached kernel and initramfs
# Environment: SKIFF_VM_CACHE (default /var/cache/skiff-vm), SKIFF_VM_KERNEL_PKG (e.g.
#   linux-image-6.1.0-56-amd64), SKIFF_VM_CONSOLE=1 (show the guest console on stderr afterwards).
set -euo pipefail

die() { echo "run-in-vm: $*" >&2; exit 125; }

CACHE=${SKIFF_VM_CACHE:-/var/cache/skiff-vm}
MEM=2048
SMP=$(nproc)
TIMEOUT=1200
PREPARE=0
SYSTEMD=0
HYBRID=0
RW=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rw) RW+=("$(realpath -e -- "$2")"); shift 2 ;;
    --mem) MEM=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --prepare) PREPARE=1; shift ;;
    --systemd) SYSTEMD=1; shift ;;
    --hybrid) HYBRID=1; shift ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[ "$(id -u)" = 0 ] || die "must run as root (9p passthrough, apt-get)"
[ $# -gt 0 ] || [ $PREPARE = 1 ] || die "no command given"
[ ${#RW[@]} -gt 0 ] || RW=("$(realpath -e -- "$(dirname "$0")/../..")")
[ $SYSTEMD = 0 ] || [ -x /lib/systemd/systemd ] || die "--systemd: the host has no /lib/systemd/systemd to boot"
[ $HYBRID = 0 ] || [ $SYSTEMD = 1 ] || die "--hybrid needs --systemd (systemd mounts the hybrid hierarchy)"

# --------------------------------------------------------------------------- packages
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
[ -x /bin/busybox ] && dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
[ -x /usr/sbin/depmod ] || [ -x /sbin/depmod ] || need+=(kmod)
if [ ${#need[@]} -gt 0 ]; then
  install() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${need[@]}" >&2; }
  install || { apt-get -o DPkg::Lock::Timeout=600 update >&2 && install; } || die "apt-get install ${need[*]} failed"
fi
DEPMOD=$(command -v depmod || echo /usr/sbin/depmod)

# --------------------------------------------------------------------------- kernel (cached)
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
KPKG=${SKIFF_VM_KERNEL_PKG:-$(cat "$CACHE/kernel.pkg" 2>/dev/null || true)}
if [ -z "$KPKG" ]; then
  KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  [ -n "$KPKG" ] || { apt-get -o DPkg::Lock::Timeout=600 update >&2;
    KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}'); }
  [ -n "$KPKG" ] || die "cannot find Debian's kernel package (apt-cache depends linux-image-amd64)"
  echo "$KPKG" > "$CACHE/kernel.pkg"
fi
# AppArmor's parser for the LSM tests in the guest (Debian's kernel boots with AppArmor): the
# package is unpacked into the cache, never installed on the host.
AADIR=$CACHE/apparmor
if [ ! -x "$AADIR/sbin/apparmor_parser" ]; then
  rm -rf "$AADIR" "$AADIR.tmp"; mkdir -p "$AADIR.tmp"
  if ( cd "$AADIR.tmp" && apt-get -o APT::Sandbox::User=root download apparmor >&2 ) ||
     { apt-get -o DPkg::Lock::Timeout=600 update >&2 && ( cd "$AADIR.tmp" && apt-get -o APT::Sandbox::User=root download apparmor >&2 ); }; then
    dpkg -x "$AADIR.tmp"/apparmor_*.deb "$AADIR"
  else
    echo "run-in-vm: apt-get download apparmor failed: the AppArmor tests will be skipped" >&2
  fi
  rm -rf "$AADIR.tmp"
fi
KVER=${KPKG#linux-image-}
KDIR=$CACHE/$KVER
if [ ! -f "$KDIR/.done" ]; then
  rm -rf "$KDIR" "$KDIR.tmp"
  mkdir -p "$KDIR.tmp" "$KDIR/lib/modules"
  ( cd "$KDIR.tmp" && apt-get -o APT::Sandbox::User=root download "$KPKG" >&2 ) ||
    { apt-get -o DPkg::Lock::Timeout=600 update >&2 && ( cd "$KDIR.tmp" && apt-get -o APT::Sandbox::User=root download "$KPKG" >&2 ); } ||
    die "apt-get download $KPKG failed"
  dpkg -x "$KDIR.tmp"/*.deb "$KDIR.tmp/root"
  mv "$KDIR.tmp/root/boot/vmlinuz-$KVER" "$KDIR/vmlinuz"
  mv "$KDIR.tmp/root/boot/config-$KVER" "$KDIR/config"
  mv "$KDIR.tmp/root/lib/modules/$KVER" "$KDIR/lib/modules/$KVER"
  "$DEPMOD" -b "$KDIR" "$KVER"
  # An uncompressed vmlinux boots through the PVH entry point: no xz decompression under emulation.
  off=$(LC_ALL=C grep -abo $'\xfd7zXZ\x00' "$KDIR/vmlinuz" | head -1 | cut -d: -f1 || true)
  if [ -n "$off" ] && grep -q '^CONFIG_PVH=y' "$KDIR/config"; then
    UNXZ="xz -dc"; command -v xz >/dev/null || UNXZ="busybox unxz -c"   # (busybox lacks xz's x86 BCJ filter)
    tail -c +$((off + 1)) "$KDIR/vmlinuz" | $UNXZ > "$KDIR/vmlinux" 2>/dev/null || true
    [ "$(head -c 4 "$KDIR/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || rm -f "$KDIR/vmlinux"
  fi
  rm -rf "$KDIR.tmp"
  touch "$KDIR/.done"
fi

# --------------------------------------------------------------------------- initramfs (cached)
MODS="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk netfs fscache 9pnet 9pnet_virtio 9p overlay"
INIT='#!/bin/busybox sh
# The guest initramfs: the host root (9p, read-only) under an overlay, the shares, cgroup2 with
# every controller, then the command.
/bin/busybox mkdir -p /proc /sys /dev /sbin /usr/bin /usr/sbin /lower /upper /newroot
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() { echo "skiff-vm: $*" >/dev/console; poweroff -f; }
for a in $(cat /proc/cmdline); do case $a in skiffvm.ctl=*) CTL=${a#skiffvm.ctl=} ;; esac; done
for m in $(cat /modules.load); do [ -f /modules/$m.ko ] && insmod /modules/$m.ko; done
o=trans=virtio,version=9p2000.L,msize=262144
n=0
until mount -t 9p -o $o,ro,cache=loose hostroot /lower 2>/dev/null; do
  n=$((n + 1)); [ $n -lt 50 ] || fail "cannot mount the host root over 9p"; sleep 0.1
done
mount -t tmpfs -o mode=755 tmpfs /upper
mkdir -p /upper/u /upper/w
mount -t overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w overlay /newroot || fail "overlay"
R=/newroot
for d in proc sys dev; do mount --move /$d $R/$d; done
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $R/dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs $R/dev/shm
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs $R/tmp
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs $R/run
if ! grep -q skiffvm.hybrid $R/proc/cmdline; then
  mount -t cgroup2 -o nsdelegate cgroup2 $R/sys/fs/cgroup || fail "cgroup2"
  for c in $(cat $R/sys/fs/cgroup/cgroup.controllers); do echo "+$c" > $R/sys/fs/cgroup/cgroup.subtree_control; done
fi
mount -t bpf bpf $R/sys/fs/bpf
echo 16 > $R/proc/sys/vm/nr_hugepages
mkdir -p $R$CTL
mount -t 9p -o $o,cache=none ctl $R$CTL || fail "control share"
i=0
for d in $(cat $R$CTL/rw.list); do
  mkdir -p $R$d && mount -t 9p -o $o,cache=loose rw$i $R$d || fail "share $d"
  i=$((i + 1))
done
KV=$(cat $R$CTL/kver)
mkdir -p $R/lib/modules/$KV && mount -o bind $R$(cat $R$CTL/moddir) $R/lib/modules/$KV
hostname skiff-vm
ip link set lo up
cp /bin/busybox $R/run/busybox
[ -f $R$CTL/setup.sh ] && . $R$CTL/setup.sh
exec switch_root $R $(cat $R$CTL/init.cmd)
'
IHASH=$( { echo "$MODS"; echo "$INIT"; sha256sum /bin/busybox; } | sha256sum | cut -c1-12)
INITRD=$KDIR/initrd-$IHASH.cpio.gz
if [ ! -f "$INITRD" ]; then
  st=$(mktemp -d "$CACHE/initrd.XXXXXX")
  mkdir -p "$st/bin" "$st/modules"
  cp /bin/busybox "$st/bin/busybox"
  printf '%s' "$INIT" > "$st/init"
  chmod 755 "$st/init"
  for m in $MODS; do
    f=$(find "$KDIR/lib/modules/$KVER/kernel" -name "$m.ko" -print -quit)
    [ -z "$f" ] || cp "$f" "$st/modules/"   # not found: built into the kernel
  done
  echo $MODS > "$st/modules.load"
  ( cd "$st" && find . -mindepth 1 | busybox cpio -o -H newc 2>/dev/null | gzip -1 ) > "$INITRD.tmp"
  mv "$INITRD.tmp" "$INITRD"
  rm -rf "$st"
fi
flock -u 9
[ $PREPARE = 0 ] || { echo "run-in-vm: ready ($KPKG)" >&2; exit 0; }

# --------------------------------------------------------------------------- this run
CTL=$(mktemp -d /tmp/skiff-vm.XXXXXX)
QPID= TPIDS=
cleanup() {
  for p in $QPID $TPIDS; do kill "$p" 2>/dev/null || true; done
  rm -rf "$CTL"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
echo "$KVER" > "$CTL/kver"
echo "$KDIR/lib/modules/$KVER" > "$CTL/moddir"
printf '%s\n' "${RW[@]}" > "$CTL/rw.list"
: > "$CTL/out"
: > "$CTL/err"
{
  echo '#!/bin/bash'
  while IFS= read -r -d '' kv; do
    k=${kv%%=*}
    case "$k" in PWD|OLDPWD|SHLVL|_|BASH_FUNC_*) continue ;; esac
    [[ "$k" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    printf 'export %s=%q\n' "$k" "${kv#*=}"
  done < <(env -0)
  printf 'cd %q || exit 125\n' "$PWD"
  printf 'exec'; printf ' %q' "$@"; echo
} > "$CTL/cmd.sh"
cat > "$CTL/stage2.sh" <<EOF
setsid /bin/bash $CTL/cmd.sh </dev/null >>$CTL/out 2>>$CTL/err
echo \$? > $CTL/rc
sync
poweroff -f
EOF
SDARGS=
if [ $SYSTEMD = 0 ]; then
  echo "/run/busybox sh $CTL/stage2.sh" > "$CTL/init.cmd"
else
  # PID 1 is the host's systemd (from the overlay root), booted into skiffvm.target: the command
  # as a service (Delegate=yes, so the tests may make cgroups below it), no sysinit, no dbus
  # daemon (skiff talks to systemd's private socket as root). The service always exits 0 after
  # recording the command's status, and its success powers the VM off.
  echo "/lib/systemd/systemd" > "$CTL/init.cmd"
  SDARGS="systemd.unit=skiffvm.target systemd.show_status=0 systemd.log_level=warning systemd.log_target=console"
  [ $HYBRID = 0 ] || SDARGS="$SDARGS skiffvm.hybrid systemd.unified_cgroup_hierarchy=0"
  cat > "$CTL/skiffvm.target" <<EOF
[Unit]
Description=skiff VM command
Requires=skiffvm.service
AllowIsolate=yes
EOF
  cat > "$CTL/skiffvm.service" <<EOF
[Unit]
Description=skiff VM command
DefaultDependencies=no
SuccessAction=poweroff-force
FailureAction=poweroff-force
[Service]
Type=exec
ExecStart=/bin/bash -c '/bin/bash $CTL/cmd.sh </dev/null >>$CTL/out 2>>$CTL/err; echo \$? > $CTL/rc; sync'
Delegate=yes
TimeoutStopSec=15
EOF
  # Sourced by the initramfs before switch_root (\$R is the new root). The host root carries
  # /.dockerenv: systemd would take itself for a container's init; hide it in the overlay.
  cat > "$CTL/setup.sh" <<EOF
mkdir -p \$R/run/systemd/system
cp \$R$CTL/skiffvm.target \$R$CTL/skiffvm.service \$R/run/systemd/system/
for u in systemd-journald.service systemd-journald.socket systemd-journald-dev-log.socket systemd-udevd.service systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service systemd-remount-fs.service systemd-binfmt.service systemd-random-seed.service systemd-update-utmp.service systemd-modules-load.service systemd-sysctl.service systemd-firstboot.service systemd-machine-id-commit.service; do
  ln -sf /dev/null \$R/run/systemd/system/\$u
done
rm -f \$R/.dockerenv \$R/run/.containerenv
EOF
fi

CGV1=cgroup_no_v1=all
[ $HYBRID = 0 ] || CGV1=
KERNEL=$KDIR/vmlinuz
[ -s "$KDIR/vmlinux" ] && KERNEL=$KDIR/vmlinux
ARGS=(
  -accel tcg,thread=multi -cpu max -smp "$SMP" -m "$MEM" -machine pc
  -nodefaults -no-user-config -display none -no-reboot
  -kernel "$KERNEL" -initrd "$INITRD"
  -append "console=ttyS0 quiet loglevel=3 panic=-1 $CGV1 mitigations=off random.trust_cpu=on skiffvm.ctl=$CTL $SDARGS"
  -serial "file:$CTL/console.log"
  -fsdev "local,id=hostroot,path=/,security_model=passthrough,readonly=on,multidevs=remap"
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
  -fsdev "local,id=ctl,path=$CTL,security_model=passthrough,multidevs=remap"
  -device virtio-9p-pci,fsdev=ctl,mount_tag=ctl
  -blockdev null-co,node-name=null0,size=1073741824,read-zeroes=on
  -device virtio-blk-pci,drive=null0
)
i=0
for d in "${RW[@]}"; do
  ARGS+=(-fsdev "local,id=rw$i,path=$d,security_model=passthrough,multidevs=remap" -device "virtio-9p-pci,fsdev=rw$i,mount_tag=rw$i")
  i=$((i + 1))
done

set +e
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 "${ARGS[@]}" </dev/null &
QPID=$!
tail -n +1 -s 0.2 -f --pid=$QPID "$CTL/out" & TPIDS="$!"
tail -n +1 -s 0.2 -f --pid=$QPID "$CTL/err" >&2 & TPIDS="$TPIDS $!"
wait $QPID
qrc=$?
QPID=
wait $TPIDS 2>/dev/null
TPIDS=
set -e
[ "${SKIFF_VM_CONSOLE:-}" != 1 ] || cat "$CTL/console.log" >&2
if [ $qrc = 124 ] || [ $qrc = 137 ]; then echo "run-in-vm: timed out after ${TIMEOUT}s" >&2; exit 124; fi
if [ -s "$CTL/rc" ]; then exit "$(cat "$CTL/rc")"; fi
echo "run-in-vm: the VM stopped (qemu exit $qrc) without the command's status; console:" >&2
tail -n 30 "$CTL/console.log" >&2 || true
exit 125
