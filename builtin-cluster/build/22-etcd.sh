#!/usr/bin/env bash
# etcd server from the go.etcd.io/etcd/server/v3 Go module (wrapper in go/etcd).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

mod="$CLUSTER_DIR/go/etcd"
out=$(cache_dir etcd "$ETCD_VERSION" "$(cat "$mod"/go.* "$mod"/*.go "${BASH_SOURCE[0]}" | sha256sum)")
grep -q "go.etcd.io/etcd/server/v3 $ETCD_VERSION" "$mod/go.mod" || die "go/etcd/go.mod does not require etcd $ETCD_VERSION"
if [[ -x "$out/bin/etcd" ]]; then
  log "etcd $ETCD_VERSION: reusing $out/bin/etcd"
else
  log "building etcd $ETCD_VERSION"
  tmp="$out.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp/bin"
  (cd "$mod" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/bin/etcd" .)
  rm -rf "$out"; mv "$tmp" "$out"
fi
log "$("$out/bin/etcd" --version | head -1 || true)"
log "etcd in $out/bin/etcd"
# env/up.sh finds this build through this pointer.
mkdir -p "$TOOLCHAIN_ROOT/builtin-cluster-paths" && printf '%s\n' "$out" > "$TOOLCHAIN_ROOT/builtin-cluster-paths/etcd"
