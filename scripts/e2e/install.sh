#!/bin/bash
# Installs the real callers the end-to-end suites drive, from Debian's packages, when missing.
#
# Usage: scripts/e2e/install.sh containerd|podman|docker...
#
# containerd: containerd (ctr, containerd-shim-runc-v2); podman: podman + conmon; docker: docker.io
# (dockerd, and its docker CLI). Also busybox-static (the image) and script(1) (a pty for -t).
# Never starts a service: the suites start their own daemons, privately, and stop them.
# Exit 0 when everything asked for is there; otherwise prints why to stderr and exits 1.
set -euo pipefail

declare -A bins=(
  [containerd]="containerd ctr containerd-shim-runc-v2"
  [podman]="podman conmon"
  [docker]="dockerd containerd ctr containerd-shim-runc-v2"
)
declare -A pkgs=(
  [containerd]="containerd"
  [podman]="podman conmon golang-github-containers-common"
  [docker]="docker.io containerd"
)

need=()
for what in "$@"; do
  [[ -n "${bins[$what]:-}" ]] || { echo "e2e-install: unknown caller '$what' (containerd, podman, docker)" >&2; exit 2; }
  for b in ${bins[$what]}; do
    if ! command -v "$b" >/dev/null 2>&1 && [[ ! -x "/usr/bin/$b" && ! -x "/usr/sbin/$b" ]]; then
      need+=(${pkgs[$what]})
      break
    fi
  done
done
[[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1 || need+=(busybox-static)
command -v script >/dev/null 2>&1 || need+=(bsdutils)
[[ "$*" == *docker* ]] && ! [[ -x /usr/bin/docker ]] && need+=(docker.io)

[[ ${#need[@]} -eq 0 ]] && exit 0
# unique
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
if [[ "$(id -u)" != 0 ]]; then
  echo "e2e-install: missing Debian packages: ${need[*]} (run as root to install them)" >&2
  exit 1
fi
echo "e2e-install: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d answers 101 on these machines, so no service starts; the package's own units are
# never used by the suites either way.
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 || {
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || true
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>/tmp/e2e-install.$$.err || {
    echo "e2e-install: apt-get install ${need[*]} failed:" >&2
    tail -5 /tmp/e2e-install.$$.err >&2
    rm -f /tmp/e2e-install.$$.err
    exit 1
  }
  rm -f /tmp/e2e-install.$$.err
}
