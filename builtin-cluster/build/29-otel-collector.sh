#!/usr/bin/env bash
# An OpenTelemetry Collector distribution, otelcol-reporunner, made with the collector's own builder
# (go.opentelemetry.io/collector/cmd/builder, "ocb") from the collector's Go modules: the OTLP receiver; the
# batch and memory_limiter processors; the OTLP (gRPC), OTLP/HTTP and debug exporters; the health_check extension
# (from contrib: components/services/collector-config.ts probes it); the env, file and yaml config providers.
# Static (CGO_ENABLED=0). The builder and every core module are at one release, OTEL_COLLECTOR_VERSION; the
# config providers are stable modules, numbered OTEL_COLLECTOR_STABLE_VERSION in that same release.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

v=$OTEL_COLLECTOR_VERSION
stable=$OTEL_COLLECTOR_STABLE_VERSION
contrib=$OTEL_COLLECTOR_CONTRIB_VERSION
out=$(cache_dir otel-collector "$v" "$stable" "$contrib" "$(go env GOVERSION)" "$(sha256sum <"${BASH_SOURCE[0]}")")
if [[ -x "$out/bin/otelcol-reporunner" ]]; then
  log "otelcol-reporunner $v: reusing $out/bin/otelcol-reporunner"
else
  log "building otelcol-reporunner $v with the collector builder"
  started=$SECONDS
  tmp="$out.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp/bin" "$tmp/src"
  (cd "$TOOLCHAIN_ROOT" && CGO_ENABLED=0 GOBIN="$tmp/builder" nice -n 10 go install -trimpath \
    "go.opentelemetry.io/collector/cmd/builder@$v")
  core=go.opentelemetry.io/collector
  cat >"$tmp/manifest.yaml" <<MANIFEST
dist:
  module: reporunner.local/testenv/otelcol-reporunner
  name: otelcol-reporunner
  description: RepoRunner's OpenTelemetry Collector (OTLP in; batch; OTLP, OTLP/HTTP and debug out)
  version: ${v#v}
  output_path: $tmp/src
receivers:
  - gomod: $core/receiver/otlpreceiver $v
processors:
  - gomod: $core/processor/batchprocessor $v
  - gomod: $core/processor/memorylimiterprocessor $v
exporters:
  - gomod: $core/exporter/otlpexporter $v
  - gomod: $core/exporter/otlphttpexporter $v
  - gomod: $core/exporter/debugexporter $v
extensions:
  - gomod: github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension $contrib
providers:
  - gomod: $core/confmap/provider/envprovider $stable
  - gomod: $core/confmap/provider/fileprovider $stable
  - gomod: $core/confmap/provider/yamlprovider $stable
MANIFEST
  # The builder generates the distribution's module, resolves it (go mod tidy) and builds it (-trimpath, -s -w);
  # it fails if the modules resolve to other versions than the manifest's (strict versioning).
  CGO_ENABLED=0 nice -n 10 "$tmp/builder/builder" --config="$tmp/manifest.yaml"
  mv "$tmp/src/otelcol-reporunner" "$tmp/bin/otelcol-reporunner"
  # Kept for the record: what was built, from which modules.
  mv "$tmp/src/go.mod" "$tmp/src/go.sum" "$tmp/"
  rm -rf "$tmp/src" "$tmp/builder"
  rm -rf "$out"; mv "$tmp" "$out"
  log "otelcol-reporunner: built in $((SECONDS - started))s, $(du -h "$out/bin/otelcol-reporunner" | cut -f1)"
fi
log "otelcol-reporunner $v in $out/bin/otelcol-reporunner"
# The image build (testenv/images/build-standins.sh) finds this build through this pointer.
mkdir -p "$TOOLCHAIN_ROOT/builtin-cluster-paths" &&
  printf '%s\n' "$out" > "$TOOLCHAIN_ROOT/builtin-cluster-paths/otel-collector"
