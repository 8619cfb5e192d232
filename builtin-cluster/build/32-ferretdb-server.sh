#!/usr/bin/env bash
# FerretDB's own server command (github.com/FerretDB/FerretDB/cmd/ferretdb at FERRETDB_VERSION), for the
# MongoDB stand-in image (testenv/images/mongodb). Unlike build/24-ferretdb.sh's front end over the embeddable
# package, it has the flags an authenticated database needs: --test-enable-new-auth (SCRAM-SHA-256/SHA-1 users
# kept by FerretDB) and --setup-username/--setup-password/--setup-database (the first user, made on first
# start). Its build wants the version file that FerretDB's release task generates (build/version/version.txt,
# absent from the module): the module is copied, given that file, and built through a replace directive.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

out=$(cache_dir ferretdb-server "$FERRETDB_VERSION" "$(go env GOVERSION)" "$(sha256sum <"${BASH_SOURCE[0]}")")
if [[ -x "$out/bin/ferretdb" ]]; then
  log "ferretdb server $FERRETDB_VERSION: reusing $out/bin/ferretdb"
else
  log "building FerretDB's cmd/ferretdb $FERRETDB_VERSION"
  tmp="$out.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp/bin" "$tmp/src"
  (
    cd "$tmp/src"
    go mod init reporunner.local/testenv/ferretdb-server >/dev/null 2>&1
    go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" >module.json
    dir=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' module.json)
    [[ -d $dir ]] || die "go mod download gave no folder for FerretDB $FERRETDB_VERSION"
    cp -r "$dir" ferretdb && chmod -R u+w ferretdb
    printf '%s\n' "$FERRETDB_VERSION" >ferretdb/build/version/version.txt
    go mod edit -require "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" -replace github.com/FerretDB/FerretDB=./ferretdb
    printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/FerretDB/FerretDB/cmd/ferretdb"\n' >tools.go
    go mod tidy >/dev/null 2>&1 || die "go mod tidy failed for FerretDB $FERRETDB_VERSION"
    CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags "-s -w" -o "$tmp/bin/ferretdb" github.com/FerretDB/FerretDB/cmd/ferretdb
  ) || die "building FerretDB's cmd/ferretdb failed"
  "$tmp/bin/ferretdb" --version | grep -q "version: $FERRETDB_VERSION" || die "the built ferretdb does not report $FERRETDB_VERSION"
  rm -rf "$tmp/src"; rm -rf "$out"; mv "$tmp" "$out"
fi
# testenv/images/build-standins.sh finds this build through this pointer.
mkdir -p "$TOOLCHAIN_ROOT/builtin-cluster-paths" && printf '%s\n' "$out" > "$TOOLCHAIN_ROOT/builtin-cluster-paths/ferretdb-server"
