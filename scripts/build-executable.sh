#!/bin/bash
# Compiles the CLI into one executable on Bun (pinned in package.json): the same TypeScript as
# dist/skiff.js, its bytecode embedded so that a call starts in milliseconds. It becomes
# build/Release/skiff-engine, beside skiff.node and skiff-init (src/paths.ts), and build/skiff is
# the static launcher (addon/launcher/main.cc) that callers run: it removes BUN_* and NODE_*
# from the environment, which Bun would read before any of skiff's code. Nothing from the working
# directory configures the engine either: .env, bunfig.toml, tsconfig.json and package.json
# autoloading are off.
set -euo pipefail
cd "$(dirname "$0")/.."
BUN=node_modules/@oven/bun-linux-x64/bin/bun
[ -x "$BUN" ] || { echo "build-executable: $BUN is missing (npm ci installs it)" >&2; exit 1; }
"$BUN" build src/main.ts --compile --bytecode --minify --target=bun-linux-x64 \
  --no-compile-autoload-dotenv --no-compile-autoload-bunfig --no-compile-autoload-tsconfig --no-compile-autoload-package-json \
  --define SKIFF_FAULT_INJECTION=false --define SKIFF_COMPILED=true \
  --outfile build/Release/skiff-engine >build/bun-build.log 2>&1 || { cat build/bun-build.log >&2; exit 1; }
chmod 0755 build/Release/skiff-engine
install -m 0755 build/Release/skiff-launcher build/skiff
