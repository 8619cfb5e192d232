#!/usr/bin/env bash
# `npm test`: from a fresh clone, everything the tests need, then every test; fails on any failure.
#   1. npm dependencies (when package-lock.json changed), lint and type check, unit tests (mocks);
#   2. the test environment: build or reuse the toolchain (`npm run setup`), start it (`npm run env:up`);
#   3. integration tests on the real engine and the real cluster; the environment is stopped at the end
#      unless it was already running before (then it is left as it was).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

started=$SECONDS
phase() { printf '\n[npm test %4ss] %s\n' "$((SECONDS - started))" "$*"; }

phase "dependencies"
bash testenv/ensure-deps.sh
phase "lint and type check"
npm run --silent lint
phase "unit tests"
npx vitest run --project unit

phase "test environment: setup"
bash testenv/setup.sh
if bash testenv/env/status.sh >/dev/null 2>&1; then
  phase "test environment: already up, kept"
else
  phase "test environment: up"
  trap 'phase "test environment: down"; bash testenv/env/down.sh' EXIT
  bash testenv/env/up.sh
fi
phase "integration tests"
npx vitest run --project integration
phase "all tests passed"
