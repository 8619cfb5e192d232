#!/usr/bin/env bash
# CoreDNS (github.com/coredns/coredns Go module) with the kubernetes plugin, for cluster DNS.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

mod="$CLUSTER_DIR/go/coredns"
out=$(cache_dir coredns "$COREDNS_VERSION" "$(cat "$mod"/go.* "$mod"/*.go "${BASH_SOURCE[0]}" | sha256sum)")
grep -q "github.com/coredns/coredns $COREDNS_VERSION" "$mod/go.mod" || die "go/coredns/go.mod does not require coredns $COREDNS_VERSION"
if [[ -x "$out/bin/coredns" ]]; then
  log "coredns $COREDNS_VERSION: reusing $out/bin/coredns"
else
  log "building coredns $COREDNS_VERSION"
  tmp="$out.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp/bin"
  (cd "$mod" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION" -o "$tmp/bin/coredns" .)
  rm -rf "$out"; mv "$tmp" "$out"
fi
log "$("$out/bin/coredns" -version 2>&1 | head -1 || true)"
log "coredns in $out/bin/coredns"
# env/up.sh finds this build through this pointer.
mkdir -p "$TOOLCHAIN_ROOT/builtin-cluster-paths" && printf '%s\n' "$out" > "$TOOLCHAIN_ROOT/builtin-cluster-paths/coredns"
