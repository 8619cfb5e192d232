#!/usr/bin/env bash
# CoreDNS for kind's node image (kind/build-node-image.sh), from the wrapper module kind/go/coredns: the plugins
# kubeadm's Corefile names (forward, loop, prometheus, ...), which build/23-coredns.sh's build leaves out.
# setup.sh runs it after 23-coredns, whose CoreDNS packages it reuses from Go's cache.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

mod="$CLUSTER_DIR/kind/go/coredns"
# The key is the one build-node-image.sh used when it built this itself, so that build is reused.
out=$(cache_dir coredns-kind "$COREDNS_VERSION" "$(cat "$mod"/go.* "$mod"/*.go | sha256sum)")
if [[ -x "$out/bin/coredns" ]]; then
  log "coredns $COREDNS_VERSION for kind: reusing $out/bin/coredns"
else
  log "building coredns $COREDNS_VERSION for kind"
  tmp="$out.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp/bin"
  (cd "$mod" && CGO_ENABLED=0 nice -n 10 go build \
    -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION" -o "$tmp/bin/coredns" .)
  rm -rf "$out"; mv "$tmp" "$out"
fi
log "$("$out/bin/coredns" -version 2>&1 | head -1 || true) for kind in $out/bin/coredns"
# kind/build-node-image.sh finds this build through this pointer.
mkdir -p "$TOOLCHAIN_ROOT/builtin-cluster-paths" && printf '%s\n' "$out" >"$TOOLCHAIN_ROOT/builtin-cluster-paths/coredns-kind"
