#!/usr/bin/env bash
# Pulumi engine from Go modules (wrappers in go/pulumi-*), each binary in a folder keyed by its versions:
#   pulumi                     the CLI, github.com/pulumi/pulumi/pkg/v3/cmd/pulumi at PULUMI_VERSION
#   pulumi-language-nodejs     the Node.js language host, from github.com/pulumi/pulumi/sdk/v3 at
#                              PULUMI_LANGUAGE_NODEJS_VERSION (the last served version that still ships it)
#   pulumi-resource-command    our stand-in for the command provider, reporting PULUMI_COMMAND_VERSION
# $TOOLCHAIN_ROOT/pulumi/bin holds a link to each; ../pulumi-env.sh puts it on PATH. The CLI and the language
# host are built first, so they are usable while the rest builds.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

GO_DIR="$CLUSTER_DIR/go"
BIN_DIR="$TOOLCHAIN_ROOT/pulumi/bin"
VERSION_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
mkdir -p "$BIN_DIR"

# requires MODULE_DIR MODULE VERSION → fails unless the wrapper's go.mod pins what versions.env says.
requires() {
  grep -qE "^\s*(require\s+)?$2 $3( |$)" "$1/go.mod" ||
    die "$(basename "$1")/go.mod does not require $2 $3 (versions.env): run 'go get $2@$3' in $1"
}

# build NAME MODULE_DIR PACKAGE LDFLAGS → builds NAME (or reuses it) into a folder keyed by the wrapper's files,
# the flags and this script, and links it into $BIN_DIR.
build() {
  local name=$1 mod=$2 pkg=$3 ldflags=$4 out tmp started=$SECONDS
  out=$(cache_dir "$name" "$pkg" "$ldflags" "$(find "$mod" -maxdepth 1 -type f | sort | xargs cat | sha256sum)" \
    "$(sha256sum < "${BASH_SOURCE[0]}")")
  if [[ -x "$out/bin/$name" ]]; then
    log "$name: reusing $out/bin/$name"
  else
    log "building $name ($pkg)"
    tmp="$out.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp/bin"
    (cd "$mod" && go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp/bin/$name" "$pkg")
    rm -rf "$out"; mv "$tmp" "$out"
    log "$name: built in $((SECONDS - started))s, $(du -h "$out/bin/$name" | cut -f1)"
  fi
  ln -sfn "$out/bin/$name" "$BIN_DIR/$name"
  log "$name in $out/bin/$name (linked from $BIN_DIR)"
}

cli="$GO_DIR/pulumi-cli"
requires "$cli" github.com/pulumi/pulumi/pkg/v3 "$PULUMI_VERSION"
requires "$cli" github.com/pulumi/pulumi/sdk/v3 "$PULUMI_VERSION"
npm_version=$(node -p "require('$PROJECT_DIR/package.json').dependencies['@pulumi/pulumi']")
[[ "v$npm_version" == "$PULUMI_VERSION" ]] ||
  die "PULUMI_VERSION=$PULUMI_VERSION but package.json has @pulumi/pulumi $npm_version"
build pulumi "$cli" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "-X $VERSION_VAR=$PULUMI_VERSION"

lang="$GO_DIR/pulumi-language-nodejs"
requires "$lang" github.com/pulumi/pulumi/sdk/v3 "$PULUMI_LANGUAGE_NODEJS_VERSION"
build pulumi-language-nodejs "$lang" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
  "-X $VERSION_VAR=$PULUMI_LANGUAGE_NODEJS_VERSION"

command="$GO_DIR/pulumi-resource-command"
requires "$command" github.com/pulumi/pulumi/sdk/v3 "$PULUMI_VERSION"
build pulumi-resource-command "$command" . "-X main.Version=$PULUMI_COMMAND_VERSION"

# pulumi-resource-kubernetes, the official provider, is built by 15-kubernetes-provider.sh (it takes longest).

log "Pulumi engine in $BIN_DIR: $(ls "$BIN_DIR" | tr '\n' ' ')(pulumi $("$BIN_DIR/pulumi" version))"

# Smoke test (about 10s): Automation API up/destroy of a command.local.Command, inline and from a program on disk.
if [[ -d "$PROJECT_DIR/node_modules/@pulumi/command" ]]; then
  step pulumi-smoke node "$PROJECT_DIR/testenv/smoke/pulumi-smoke.mjs" >&2
else
  log "warning: node_modules not installed, skipping testenv/smoke/pulumi-smoke.mjs"
fi
