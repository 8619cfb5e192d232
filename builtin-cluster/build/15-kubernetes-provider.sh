#!/usr/bin/env bash
# pulumi-resource-kubernetes: the official Pulumi Kubernetes provider, built from its Go module
# (github.com/pulumi/pulumi-kubernetes/provider/v4 at PULUMI_KUBERNETES_MODULE) and stamped with its version.
# The module as served cannot build as it is: its go.mod replaces the SDK with ../sdk (not in the zip), and
# main.go embeds schema-embed.json, which its generate.go writes from schema.json. So the module is copied into
# a writable folder, the replace line dropped (the served sdk/v4 it requires is used), the schema generated,
# and the binary built into a folder keyed by the module version, the provider version and the recipe.
# The build is long on a cold Go cache (16 minutes on 2 cores shared with other builds); it is reused afterwards.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
BIN_DIR="$TOOLCHAIN_ROOT/pulumi/bin"
VERSION_VAR=$MODULE/pkg/version.Version
mkdir -p "$BIN_DIR"

# The engine warns when a plugin is older than the SDK asks for, so the SDK must not be newer than the build;
# a prerelease (4.24.1-alpha.…) comes before its release, so then the SDK must be an earlier release.
npm_version=$(node -p "require('$PROJECT_DIR/package.json').dependencies['@pulumi/kubernetes']")
release=${PULUMI_KUBERNETES_VERSION%%[-+]*}
if [[ "$(printf '%s\n' "$npm_version" "$release" | sort -V | tail -1)" != "$release" ||
  ( "$PULUMI_KUBERNETES_VERSION" == *-* && "$npm_version" == "$release" ) ]]; then
  die "@pulumi/kubernetes $npm_version (package.json) asks for a newer provider than $PULUMI_KUBERNETES_VERSION"
fi

# Bump recipe= when the build commands below change (not for comments or checks: the build takes minutes).
recipe=1
out=$(cache_dir kubernetes-provider "$PULUMI_KUBERNETES_MODULE" "$PULUMI_KUBERNETES_VERSION" "recipe=$recipe")
bin="$out/bin/pulumi-resource-kubernetes"
if [[ -x "$bin" ]]; then
  log "pulumi-resource-kubernetes $PULUMI_KUBERNETES_VERSION: reusing $bin"
else
  started=$SECONDS
  log "downloading $MODULE@$PULUMI_KUBERNETES_MODULE"
  src=$(cd /tmp && go mod download -json "$MODULE@$PULUMI_KUBERNETES_MODULE" | sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p')
  [[ -d "$src" ]] || die "$MODULE@$PULUMI_KUBERNETES_MODULE is not served by the Go module proxy"
  tmp="$out.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp/bin"
  cp -r "$src" "$tmp/src"; chmod -R u+w "$tmp/src"
  cd "$tmp/src"
  go mod edit -dropreplace github.com/pulumi/pulumi-kubernetes/sdk/v4
  go mod download github.com/pulumi/pulumi-kubernetes/sdk/v4
  GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || GOFLAGS=-mod=mod go get github.com/pulumi/pulumi-kubernetes/sdk/v4
  (cd cmd/pulumi-resource-kubernetes && VERSION="$PULUMI_KUBERNETES_VERSION" go run generate.go)
  log "building pulumi-resource-kubernetes $PULUMI_KUBERNETES_VERSION — slow on a cold Go cache (20–30 min on 2 cores)"
  go build -trimpath -ldflags "-s -w -X $VERSION_VAR=$PULUMI_KUBERNETES_VERSION" \
    -o "$tmp/bin/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes
  cd /; rm -rf "$tmp/src"
  rm -rf "$out"; mv "$tmp" "$out"
  log "pulumi-resource-kubernetes: built in $((SECONDS - started))s, $(du -h "$bin" | cut -f1)"
fi
ln -sfn "$bin" "$BIN_DIR/pulumi-resource-kubernetes"
log "pulumi-resource-kubernetes $PULUMI_KUBERNETES_VERSION in $bin (linked from $BIN_DIR)"

# Quick check: the plugin starts and prints the port it listens on.
port=""
coproc PLUGIN { exec "$bin" 127.0.0.1:1 </dev/null 2>/dev/null; }
read -t 30 -r port <&"${PLUGIN[0]}" || true
kill "$PLUGIN_PID" 2>/dev/null || true
wait "$PLUGIN_PID" 2>/dev/null || true
[[ "$port" =~ ^[0-9]+$ ]] || die "pulumi-resource-kubernetes did not start (no port printed); run $bin by hand"
log "pulumi-resource-kubernetes starts (printed port $port)"
