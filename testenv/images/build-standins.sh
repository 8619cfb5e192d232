#!/usr/bin/env bash
# Builds the stand-in images of the infra services the test environment can run for real, from
# programs Debian ships, and loads them into the cluster: `reporunner-standin/redis:7` and
# `reporunner-standin/nginx:1` (the preview gateway).
# Used by the platform stack's integration test; idempotent (an existing image is kept).
source "$(dirname "${BASH_SOURCE[0]}")/../../builtin-cluster/env/common.sh"
export DOCKER_HOST="${DOCKER_HOST:-unix://$DOCKER_SOCK}"
DOCKER=/usr/bin/docker

# copy_with_libs DEST BINARY... → the binaries and every library they link under DEST, each at its
# real path (/usr/lib/…): the image's /lib is a symlink to usr/lib (merged /usr) and must stay one.
copy_with_libs() {
  local dest=$1; shift
  for bin in "$@"; do
    # The program under its own name (Debian's redis-server is a link that dispatches on argv[0]).
    mkdir -p "$dest$(dirname "$bin")"
    cp -L "$bin" "$dest$bin"
    for file in $(ldd "$bin" | awk '/=> \//{print $3}'); do
      # Under its soname, in the folder its real path is in.
      local dir
      dir=$(dirname "$(readlink -f "$file")")
      mkdir -p "$dest$dir"
      cp -L "$file" "$dest$dir/$(basename "$file")"
    done
  done
}

# build_standin IMAGE FOLDER BINARY...: FOLDER's Dockerfile and files, plus the binaries with their libraries.
build_standin() {
  local image=$1 folder=$2; shift 2
  if ! $DOCKER image inspect "$image" >/dev/null 2>&1; then
    local context
    context=$(mktemp -d)
    cp "$PROJECT_DIR/testenv/images/$folder/"* "$context/"
    copy_with_libs "$context/rootfs" "$@"
    $DOCKER build -q -t "$image" "$context" >/dev/null
    rm -rf "$context"
    log "built $image"
  fi
  bash "$CLUSTER_DIR/env/load-image.sh" "$image"
}

# build_static_standin IMAGE FOLDER BUILD BINARY PATH → FOLDER's Dockerfile and files, the static BINARY of the
# toolchain build BUILD (builtin-cluster/build/*-BUILD.sh; its folder is named by builtin-cluster-paths/BUILD) at
# PATH in the image, the host's CA certificates, and a world-writable /tmp. Rebuilt when the binary or FOLDER changes.
build_static_standin() {
  local image=$1 folder=$2 build=$3 binary=$4 dest=$5
  local pointer="$TOOLCHAIN_ROOT/builtin-cluster-paths/$build" bin recipe context
  [[ -f "$pointer" ]] || die "$build is not built: run \`npm run setup\` (no $pointer)"
  bin="$(cat "$pointer")/bin/$binary"
  [[ -x "$bin" ]] || die "$bin is missing: run \`npm run setup\`"
  recipe=$({ sha256sum <"$bin"; cat "$PROJECT_DIR/testenv/images/$folder/"*; } | sha256sum | cut -c1-16)
  if [[ "$($DOCKER image inspect -f '{{index .Config.Labels "reporunner.recipe"}}' "$image" 2>/dev/null)" != "$recipe" ]]; then
    context=$(mktemp -d)
    cp "$PROJECT_DIR/testenv/images/$folder/"* "$context/"
    mkdir -p "$context/rootfs$(dirname "$dest")" "$context/rootfs/etc/ssl/certs" "$context/rootfs/tmp"
    chmod 1777 "$context/rootfs/tmp"
    cp "$bin" "$context/rootfs$dest"
    cp -L /etc/ssl/certs/ca-certificates.crt "$context/rootfs/etc/ssl/certs/"
    $DOCKER build -q --label "reporunner.recipe=$recipe" -t "$image" "$context" >/dev/null
    rm -rf "$context"
    log "built $image ($($DOCKER image inspect -f '{{.Size}}' "$image" | numfmt --to=iec))"
  fi
  bash "$CLUSTER_DIR/env/load-image.sh" "$image"
}

build_standin reporunner-standin/redis:7 redis /usr/bin/redis-server /usr/bin/redis-cli
build_standin reporunner-standin/nginx:1 nginx /usr/sbin/nginx
# The collector distribution and Jaeger v2, built from Go modules by builtin-cluster/build/29-otel-collector.sh and
# 30-jaeger.sh; each image is tagged with the version it runs.
build_static_standin "reporunner-standin/otel-collector:${OTEL_COLLECTOR_VERSION#v}" otel-collector otel-collector \
  otelcol-reporunner /otelcol-reporunner
build_static_standin "reporunner-standin/jaeger:${JAEGER_VERSION#v}" jaeger jaeger jaeger /cmd/jaeger/jaeger-linux
# RabbitMQ, Kafka and the MongoDB stand-in (FerretDB): Debian packages, Maven Central's jars, npm's mongosh.
bash "$(dirname "${BASH_SOURCE[0]}")/build-platform-standins.sh"
