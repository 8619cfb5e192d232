#!/usr/bin/env bash
# Builds or reuses everything the test environment needs. Idempotent: a build whose cache folder exists is reused.
# Each build script in build/ runs in name order and prints what it built and where.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

total=$SECONDS
mkdir -p "$TOOLCHAIN_ROOT"
for script in "$CLUSTER_DIR"/build/*.sh; do
  step "$(basename "$script" .sh)" bash "$script"
done
log "setup done in $((SECONDS - total))s; toolchain under $TOOLCHAIN_ROOT"
