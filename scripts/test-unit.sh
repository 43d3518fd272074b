#!/bin/bash
# The unit tests alone (`npm run test:unit`): translation, schemas, argument parsing, the probe's
# parser. No container, no addon, no cgroup: what a change to pure code needs, in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
node scripts/build-validators.mjs >/dev/null
rm -rf build/test-unit
files=$(find test/unit -name '*.test.ts' | sort)
for f in $files; do
  out="build/test-unit/${f#test/unit/}"
  npx esbuild "$f" --bundle --platform=node --target=node20 --format=cjs --log-level=warning --outfile="${out%.ts}.js"
done
exec node --test --test-reporter=spec $(find build/test-unit -name '*.test.js' | sort) "$@"
