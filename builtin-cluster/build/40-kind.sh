#!/usr/bin/env bash
# kind (sigs.k8s.io/kind) from the Go module proxy: the CLI only. Its node image (kindest/node) cannot be pulled
# here; builtin-cluster/kind/build-node-image.sh makes one, and kind runs here only through
# builtin-cluster/kind/bin/docker (this machine cannot run `docker run --privileged`). See builtin-cluster/kind/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

KIND_VERSION=${KIND_VERSION:-v0.33.0}
out=$(cache_dir kind "$KIND_VERSION" "$(go env GOVERSION)" "$(sha256sum <"${BASH_SOURCE[0]}")")
if [[ -x "$out/bin/kind" ]]; then
  log "kind $KIND_VERSION: reusing $out/bin/kind"
else
  log "building kind $KIND_VERSION"
  tmp="$out.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp/bin"
  GOBIN="$tmp/bin" CGO_ENABLED=0 go install "sigs.k8s.io/kind@$KIND_VERSION"
  rm -rf "$out"; mv "$tmp" "$out"
fi
log "$("$out/bin/kind" version)"
mkdir -p "$TOOLCHAIN_ROOT/builtin-cluster-paths" && printf '%s\n' "$out" >"$TOOLCHAIN_ROOT/builtin-cluster-paths/kind"
