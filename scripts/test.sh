#!/bin/bash
# The whole test suite: build, bundle the tests, run them with node's test runner (as root: the
# integration tests run real containers).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bash scripts/lint.sh
# The runtime-tools validation suite that test/conformance/ runs (built once per tarball).
bash scripts/conformance/build-runtime-tools.sh
rm -rf build/test
files=$(find test -name '*.test.ts' | sort)
for f in $files; do
  out="build/test/${f#test/}"
  npx esbuild "$f" --bundle --platform=node --target=node20 --format=cjs --log-level=warning --outfile="${out%.ts}.js"
done
# The fault-injection build of the CLI (src/fault.ts): only the reliability suite runs it.
npx esbuild test/fault/entry.ts --bundle --platform=node --target=node20 --format=cjs --log-level=warning \
  --define:SKIFF_FAULT_INJECTION=true --outfile=build/fault/skiff.js
if [ "$(id -u)" != 0 ]; then
  echo "test: the integration tests need root (namespaces, mounts, cgroups)" >&2
  exit 1
fi
# Every suite against build/skiff, the executable callers run; then the suites that exercise the
# CLI's own paths (lifecycle, exec, validation, hooks, failures, the terminal relay) once more
# against bin/skiff on Node.js, which stays the development entry point.
# With arguments: only those bundled files (build/test/...test.js), once.
if [ $# -gt 0 ]; then exec node --test --test-concurrency=1 --test-reporter=spec "$@"; fi
node --test --test-concurrency=1 --test-reporter=spec $(find build/test -name '*.test.js' | sort)
echo "test: again on Node.js (SKIFF_BIN=bin/skiff)"
SKIFF_BIN=bin/skiff node --test --test-concurrency=1 --test-reporter=spec \
  build/test/integration/{lifecycle,exec,check,hooks,failures,terminal}.test.js
