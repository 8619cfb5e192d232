#!/usr/bin/env bash
# pulumi-resource-kubernetes: our stand-in for the Pulumi Kubernetes provider, in TypeScript
# (testenv/kubernetes-provider, see its README.md), because the official provider's Go module is not served here.
# Nothing to compile: this writes a wrapper into $TOOLCHAIN_ROOT/pulumi/bin that runs main.ts with node and the
# tsx loader, with absolute paths, so the engine finds it on PATH (../pulumi-env.sh) whatever its working
# directory. The provider reports the version @pulumi/kubernetes asks for (PULUMI_KUBERNETES_VERSION).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

BIN_DIR="$TOOLCHAIN_ROOT/pulumi/bin"
PROVIDER_DIR="$TESTENV_DIR/kubernetes-provider"
WRAPPER="$BIN_DIR/pulumi-resource-kubernetes"
mkdir -p "$BIN_DIR"

# The provider runs from node_modules (tsx, @grpc/grpc-js, @pulumi/pulumi's protobuf code, @kubernetes/client-node).
[[ -d "$PROJECT_DIR/node_modules/@pulumi/kubernetes" ]] || bash "$TESTENV_DIR/ensure-deps.sh"
npm_version=$(node -p "require('$PROJECT_DIR/package.json').dependencies['@pulumi/kubernetes']")
[[ "$npm_version" == "$PULUMI_KUBERNETES_VERSION" ]] ||
  die "PULUMI_KUBERNETES_VERSION=$PULUMI_KUBERNETES_VERSION but package.json has @pulumi/kubernetes $npm_version"
provider_version=$(sed -nE 's/^export const PROVIDER_VERSION = "([^"]+)";/\1/p' "$PROVIDER_DIR/provider.ts")
[[ "$provider_version" == "$PULUMI_KUBERNETES_VERSION" ]] ||
  die "kubernetes-provider/provider.ts reports $provider_version, @pulumi/kubernetes asks for $PULUMI_KUBERNETES_VERSION"

node_bin=$(command -v node) || die "node is not on PATH"
tsx_cjs=$(cd "$PROJECT_DIR" && node -p 'require.resolve("tsx/cjs")') || die "tsx is not installed in node_modules"

tmp="$WRAPPER.tmp.$$"
cat > "$tmp" <<EOF
#!/bin/sh
# Written by testenv/build/15-kubernetes-provider.sh: RepoRunner's stand-in Kubernetes provider ($provider_version).
exec "$node_bin" --no-warnings=ExperimentalWarning --require "$tsx_cjs" "$PROVIDER_DIR/main.ts" "\$@"
EOF
chmod +x "$tmp"
mv "$tmp" "$WRAPPER"
log "pulumi-resource-kubernetes ($provider_version): $WRAPPER → $PROVIDER_DIR/main.ts"

# Quick check: the plugin starts and prints the port it listens on.
port=""
coproc PLUGIN { exec "$WRAPPER" 127.0.0.1:1 </dev/null 2>/dev/null; }
read -t 30 -r port <&"${PLUGIN[0]}" || true
kill "$PLUGIN_PID" 2>/dev/null || true
wait "$PLUGIN_PID" 2>/dev/null || true
[[ "$port" =~ ^[0-9]+$ ]] || die "pulumi-resource-kubernetes did not start (no port printed); run $WRAPPER by hand"
log "pulumi-resource-kubernetes starts (printed port $port)"
