#!/usr/bin/env bash
# Runs a command with a supported Node.js first on PATH (scripts/node-env.sh), so that `npm start`, `npm test`
# and everything they spawn (the Pulumi language host, the workers) run on Node 24 whatever the machine has.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node-env.sh"
exec "$@"
