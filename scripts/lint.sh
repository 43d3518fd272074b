#!/bin/bash
# Formatting and lint, as CI checks them (npm test runs this first): prettier and eslint for the
# TypeScript, clang-format for the C++. `npx prettier --write` and `clang-format -i` fix formatting.
set -euo pipefail
cd "$(dirname "$0")/.."
npx prettier --check --log-level=warn 'src/**/*.ts' 'test/**/*.ts' 'scripts/**/*.mjs' 'bench/**/*.mjs' eslint.config.mjs
npx eslint --max-warnings=0 src test scripts/*.mjs
command -v clang-format >/dev/null || { echo "lint: clang-format is missing (scripts/setup.sh installs it)" >&2; exit 1; }
clang-format --dry-run --Werror addon/*.cc addon/*.h addon/*/*.cc addon/*/*.h
echo "lint: ok" >&2
