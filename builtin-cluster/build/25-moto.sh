#!/usr/bin/env bash
# moto[server] (AWS API mock: S3, DynamoDB, ECR, IAM, STS, …) in a Python venv under the cache.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

py=$(command -v python3)
out=$(cache_dir moto "$MOTO_VERSION" "$("$py" -c 'import sys; print(sys.version)')" "$(sha256sum < "${BASH_SOURCE[0]}")")
if [[ -f "$out/.complete" && -x "$out/venv/bin/moto_server" ]]; then
  log "moto $MOTO_VERSION: reusing $out/venv"
else
  log "installing moto[server]==$MOTO_VERSION into $out/venv"
  # A venv keeps its absolute path in its scripts, so it is made in place; .complete marks it done.
  rm -rf "$out"; mkdir -p "$out"
  "$py" -m venv "$out/venv"
  "$out/venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  touch "$out/.complete"
fi
"$out/venv/bin/python3" -c 'import moto; print("moto", moto.__version__)' >&2
log "moto server: $out/venv/bin/moto_server"
# env/up.sh finds this build through this pointer.
mkdir -p "$TOOLCHAIN_ROOT/builtin-cluster-paths" && printf '%s\n' "$out" > "$TOOLCHAIN_ROOT/builtin-cluster-paths/moto"
