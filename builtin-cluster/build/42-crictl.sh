#!/usr/bin/env bash
# crictl (sigs.k8s.io/cri-tools) for kind's node image (kind/build-node-image.sh): kind's nodes and their
# scripts call it; the built-in cluster does not.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

CRICTL_VERSION=${CRICTL_VERSION:-v1.34.0}
# The key is the one build-node-image.sh used when it built crictl itself, so that build is reused.
out=$(cache_dir crictl "$CRICTL_VERSION")
if [[ -x "$out/bin/crictl" ]]; then
  log "crictl $CRICTL_VERSION: reusing $out/bin/crictl"
else
  log "building crictl $CRICTL_VERSION"
  tmp="$out.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp/bin"
  GOBIN="$tmp/bin" CGO_ENABLED=0 nice -n 10 go install "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
  rm -rf "$out"; mv "$tmp" "$out"
fi
log "crictl $CRICTL_VERSION in $out/bin/crictl" # (go install stamps no version: it says "unknown")
# kind/build-node-image.sh finds this build through this pointer.
mkdir -p "$TOOLCHAIN_ROOT/builtin-cluster-paths" && printf '%s\n' "$out" >"$TOOLCHAIN_ROOT/builtin-cluster-paths/crictl"
