#!/usr/bin/env bash
# Installs the npm dependencies when node_modules is missing or older than package-lock.json, so every
# command works from a fresh clone. Install scripts stay off: the Pulumi packages' scripts would try
# to download provider plugins, which `npm run setup` builds instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
stamp=node_modules/.reporunner-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[deps] npm ci (package-lock.json changed or node_modules missing)" >&2
  npm ci --ignore-scripts --no-audit --no-fund
  echo "$want" > "$stamp"
fi
