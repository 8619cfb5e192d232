#!/usr/bin/env bash
# Jaeger v2 (github.com/jaegertracing/jaeger cmd/jaeger, the OpenTelemetry-Collector-based all-in-one) from the
# wrapper module go/jaeger. JAEGER_MODULE_VERSION is the v1.x tag the Go proxy serves; JAEGER_VERSION is the v2
# release that tag carries, and the binary reports it (`jaeger version`). The module zip has no built Jaeger UI
# (upstream embeds it from a git submodule built with npm), so the binary serves Jaeger's placeholder page at /.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

mod="$CLUSTER_DIR/go/jaeger"
grep -qE "^\s*(require\s+)?github.com/jaegertracing/jaeger $JAEGER_MODULE_VERSION( |$)" "$mod/go.mod" ||
  die "go/jaeger/go.mod does not require github.com/jaegertracing/jaeger $JAEGER_MODULE_VERSION (versions.env)"
grep -q "v${JAEGER_MODULE_VERSION#v} / ${JAEGER_VERSION}" \
  "$(cd "$mod" && go mod download -json github.com/jaegertracing/jaeger | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')/CHANGELOG.md" ||
  die "Jaeger's CHANGELOG has no release \"$JAEGER_MODULE_VERSION / $JAEGER_VERSION\": fix JAEGER_VERSION in versions.env"

version_pkg=github.com/jaegertracing/jaeger/internal/version
ldflags="-s -w -X $version_pkg.latestVersion=$JAEGER_VERSION -X $version_pkg.commitSHA=$JAEGER_MODULE_VERSION"
out=$(cache_dir jaeger "$JAEGER_VERSION" "$JAEGER_MODULE_VERSION" "$(go env GOVERSION)" \
  "$(cat "$mod"/go.* | sha256sum)" "$(sha256sum <"${BASH_SOURCE[0]}")")
if [[ -x "$out/bin/jaeger" ]]; then
  log "jaeger $JAEGER_VERSION: reusing $out/bin/jaeger"
else
  log "building jaeger $JAEGER_VERSION ($JAEGER_MODULE_VERSION)"
  started=$SECONDS
  tmp="$out.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp/bin"
  (cd "$mod" && CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$tmp/bin/jaeger" \
    github.com/jaegertracing/jaeger/cmd/jaeger)
  rm -rf "$out"; mv "$tmp" "$out"
  log "jaeger: built in $((SECONDS - started))s, $(du -h "$out/bin/jaeger" | cut -f1)"
fi
log "jaeger $JAEGER_VERSION in $out/bin/jaeger"
# The image build (testenv/images/build-standins.sh) and test/support/jaeger.ts find this build through this pointer.
mkdir -p "$TOOLCHAIN_ROOT/builtin-cluster-paths" && printf '%s\n' "$out" > "$TOOLCHAIN_ROOT/builtin-cluster-paths/jaeger"
