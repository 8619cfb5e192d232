#!/usr/bin/env bash
# `npm test`: from a fresh clone, install what the tests need and run them all; fails on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash testenv/ensure-deps.sh
npm run lint
npx vitest run --project unit
