#!/usr/bin/env bash
# Installs the npm dependencies when node_modules is missing or older than package-lock.json, so every
# command works from a fresh clone. npm writes node_modules/.package-lock.json after each install, so an
# `npm install` the user ran (with or without install scripts) counts, and `npm start` does not install again.
# Install scripts stay off: the Pulumi packages' scripts would download provider plugins, which
# `npm run setup` builds instead (npm 11 runs none by default either).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/node-env.sh
installed=node_modules/.package-lock.json
if [[ ! -f $installed || package-lock.json -nt $installed ]]; then
  echo "[deps] npm ci (package-lock.json changed or node_modules missing)" >&2
  npm ci --ignore-scripts --no-audit --no-fund
fi
