#!/usr/bin/env bash
# Shared helpers for the test-environment scripts: where things live, and a timed step runner.
set -euo pipefail

CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT_DIR="$(cd "$CLUSTER_DIR/.." && pwd)"
# shellcheck source=versions.env
source "$CLUSTER_DIR/versions.env"

REPORUNNER_CACHE="${REPORUNNER_CACHE:-$HOME/.cache/reporunner}"
TOOLCHAIN_ROOT="$REPORUNNER_CACHE/toolchain"
export GOMODCACHE="${GOMODCACHE:-$REPORUNNER_CACHE/go/mod}"
export GOCACHE="${GOCACHE:-$REPORUNNER_CACHE/go/build}"
export GOFLAGS="${GOFLAGS:--trimpath}"
export GOTOOLCHAIN=local

log() { printf '[builtin-cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# cache_dir NAME KEY... → a folder for one build, keyed by the versions (and build script) it depends on.
cache_dir() {
  local name=$1; shift
  local key
  key=$(printf '%s\n' "$@" | sha256sum | cut -c1-12)
  printf '%s/%s-%s' "$TOOLCHAIN_ROOT" "$name" "$key"
}

# step NAME CMD... → runs CMD, prints how long it took, and fails loudly with the step's name.
step() {
  local name=$1; shift
  local started=$SECONDS
  log "▶ $name"
  if "$@"; then
    log "✔ $name ($((SECONDS - started))s)"
  else
    log "✘ $name failed after $((SECONDS - started))s"
    return 1
  fi
}
