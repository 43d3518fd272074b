#!/bin/bash
# Builds everything: validators (ajv standalone), the addon and skiff-init (node-gyp), the CLI
# bundle (esbuild), a strict type check, the probe payload and the test rootfs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

node scripts/build-validators.mjs
# Configured again whenever binding.gyp changed (a new target).
[ -f build/Makefile ] && [ build/Makefile -nt binding.gyp ] || npx node-gyp configure >/dev/null
npx node-gyp build -j 2 >/dev/null 2>build/node-gyp.log || { cat build/node-gyp.log >&2; exit 1; }
# Minified, and without the generated validators (a third of the code): only create, run, exec
# and check load them, from dist/generated/ (startup reads and hashes less for every other call).
npx esbuild src/entry.ts --bundle --platform=node --target=node20 --format=cjs --outfile=dist/skiff.js \
  --log-level=warning --legal-comments=none --minify --external:./generated/validators \
  --define:SKIFF_FAULT_INJECTION=false
mkdir -p dist/generated
cp src/spec/generated/validators.js dist/generated/validators.js
npx tsc --noEmit -p .
bash scripts/build-executable.sh
bash scripts/build-probe.sh >/dev/null
bash scripts/make-rootfs.sh >/dev/null
echo "build: ok (build/skiff, dist/skiff.js, build/Release/{skiff-engine,skiff.node,skiff-init}, build/probe, build/rootfs)"
