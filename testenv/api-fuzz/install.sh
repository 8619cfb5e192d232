#!/usr/bin/env bash
# Installs Schemathesis from PyPI into a virtualenv in the toolchain cache, keyed by its version and
# Python's, once; later calls reuse it. Prints the path of its `st` command (and nothing else on stdout).
#   SCHEMATHESIS_VERSION (default below), REPORUNNER_CACHE (default ~/.cache/reporunner).
set -euo pipefail

version="${SCHEMATHESIS_VERSION:-4.32.5}"
log() { printf '[api-fuzz] %s\n' "$*" >&2; }

python="$(command -v python3 || true)"
[[ -n "$python" ]] || { log "error: python3 is not installed (npm run setup installs it, or apt-get install python3-venv)"; exit 1; }
py="$("$python" -c 'import sys; print(f"py{sys.version_info[0]}.{sys.version_info[1]}")')"
toolchain="${REPORUNNER_CACHE:-$HOME/.cache/reporunner}/toolchain"
venv="$toolchain/schemathesis-$version-$py"
mkdir -p "$toolchain"

# `.installed` is written last: a venv without it is a half-done install, redone from scratch.
ready() { [[ -f "$venv/.installed" && -x "$venv/bin/st" ]]; }
if ! ready; then
  # One installer at a time (parallel test runs share the cache).
  exec 9>"$venv.lock"
  flock 9
  if ! ready; then
    log "installing schemathesis $version into $venv"
    rm -rf "$venv"
    "$python" -m venv "$venv" >&2 || {
      log "error: cannot make a venv with $python (npm run setup installs python3-venv)"
      rm -rf "$venv"
      exit 1
    }
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "schemathesis==$version" >&2
    "$venv/bin/st" --version >&2
    touch "$venv/.installed"
  fi
fi
printf '%s\n' "$venv/bin/st"
