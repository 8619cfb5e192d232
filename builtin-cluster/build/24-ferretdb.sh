#!/usr/bin/env bash
# FerretDB v1 (MongoDB wire protocol on SQLite) from the github.com/FerretDB/FerretDB Go module.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

mod="$CLUSTER_DIR/go/ferretdb"
out=$(cache_dir ferretdb "$FERRETDB_VERSION" "$(cat "$mod"/go.* "$mod"/*.go "${BASH_SOURCE[0]}" | sha256sum)")
grep -q "github.com/FerretDB/FerretDB $FERRETDB_VERSION" "$mod/go.mod" || die "go/ferretdb/go.mod does not require FerretDB $FERRETDB_VERSION"
if [[ -x "$out/bin/ferretdb" ]]; then
  log "ferretdb $FERRETDB_VERSION: reusing $out/bin/ferretdb"
else
  log "building ferretdb $FERRETDB_VERSION"
  tmp="$out.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp/bin"
  (cd "$mod" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/bin/ferretdb" .)
  rm -rf "$out"; mv "$tmp" "$out"
fi
log "ferretdb in $out/bin/ferretdb"
# env/up.sh finds this build through this pointer.
mkdir -p "$TOOLCHAIN_ROOT/builtin-cluster-paths" && printf '%s\n' "$out" > "$TOOLCHAIN_ROOT/builtin-cluster-paths/ferretdb"
