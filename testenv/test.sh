#!/usr/bin/env bash
# `npm test`: from a fresh clone, everything the tests need, then every test; fails on any failure.
#   1. npm dependencies (when package-lock.json changed), lint and type check, unit tests (mocks);
#   2. the test environment: build or reuse the toolchain (`npm run setup`), start it (`npm run env:up`),
#      make or reuse kind's node image (builtin-cluster/kind/build-node-image.sh);
#   3. integration tests on the real engine and the real cluster; the environment is stopped at the end
#      unless it was already running before (then it is left as it was).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# Node 24 LTS first on PATH (fetched once from the npm registry when the machine's node is older).
source scripts/node-env.sh

started=$SECONDS
phase() { printf '\n[npm test %4ss] %s\n' "$((SECONDS - started))" "$*"; }

phase "dependencies"
bash scripts/ensure-deps.sh
phase "lint and type check"
npm run --silent lint
phase "unit tests"
npx vitest run --project unit

phase "test environment: setup"
bash builtin-cluster/setup.sh
if bash builtin-cluster/env/status.sh >/dev/null 2>&1; then
  phase "test environment: already up, kept"
else
  phase "test environment: up"
  trap 'phase "test environment: down"; bash builtin-cluster/env/down.sh' EXIT
  bash builtin-cluster/env/up.sh
fi
# kind's node image needs the environment's Docker engine, so it is made after env:up (cached: a second).
phase "test environment: kind node image"
bash builtin-cluster/kind/build-node-image.sh
phase "integration tests"
npx vitest run --project integration
phase "all tests passed"
