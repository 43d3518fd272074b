#!/bin/bash
# Builds skiff and runs one container with build/skiff (what callers run): busybox, printing what
# it sees from inside.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bundle=$(mktemp -d /tmp/skiff-demo.XXXXXX)
root=$(mktemp -d /tmp/skiff-demo-root.XXXXXX)
id="demo-$$"
cleanup() {
  build/skiff --root "$root" delete --force "$id" >/dev/null 2>&1 || true
  for d in /sys/fs/cgroup/*/skiff-demo /sys/fs/cgroup/skiff-demo; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
  rm -rf "$bundle" "$root"
}
trap cleanup EXIT
build/skiff spec --bundle "$bundle"
node -e '
  const fs = require("fs"); const [file, rootfs, id] = process.argv.slice(1);
  const c = JSON.parse(fs.readFileSync(file, "utf8"));
  c.root.path = rootfs;
  c.process.terminal = false;
  c.process.args = ["/bin/sh", "-c", "echo \"hello from skiff: I am pid $$ on $(hostname), as $(id)\"; echo mounts:; cut -d\" \" -f2,3 /proc/mounts | head -8"];
  c.linux.cgroupsPath = "/skiff-demo/" + id;
  fs.writeFileSync(file, JSON.stringify(c, null, 2));
' "$bundle/config.json" "$PWD/build/rootfs" "$id"
echo "+ skiff run --bundle $bundle $id"
build/skiff --root "$root" run --bundle "$bundle" "$id"
