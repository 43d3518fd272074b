#!/bin/bash
# Runs the end-to-end suites alone (they also run as part of `npm test`), after a build:
#   scripts/e2e/run.sh                 # containerd, docker, podman
#   scripts/e2e/run.sh podman docker   # some of them
# Each suite installs its caller from Debian's packages when missing (scripts/e2e/install.sh),
# starts its daemons privately under a temp dir and stops them at its end. Needs root.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "e2e: run as root" >&2; exit 1; }
[ -f dist/skiff.js ] || { echo "e2e: build first (npm run build)" >&2; exit 1; }
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(containerd docker podman)
files=()
for s in "${suites[@]}"; do
  f="test/e2e/$s.test.ts"
  [ -f "$f" ] || { echo "e2e: no suite $f" >&2; exit 2; }
  out="build/test/e2e/$s.test.js"
  npx esbuild "$f" --bundle --platform=node --target=node20 --format=cjs --log-level=warning --outfile="$out"
  files+=("$out")
done
exec node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
