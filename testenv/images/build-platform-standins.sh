#!/usr/bin/env bash
# Builds the stand-in images of the platform's broker and database services and loads them into the cluster:
#   reporunner-standin/rabbitmq:3.10   Debian's rabbitmq-server with the management plugin
#   reporunner-standin/kafka:4.1.0     Apache Kafka's jars from Maven Central on Debian's OpenJDK 17 JRE (KRaft)
#   reporunner-standin/mongodb:ferretdb-1.24  FerretDB with mongosh: no MongoDB server is served here
# Each Dockerfile installs its Debian packages with apt-get (pinned in builtin-cluster/versions.env), so the build
# uses the host's network; the jars, FerretDB and mongosh come from the setup builds (`npm run setup`).
# An image is rebuilt only when its recipe changes: the recipe's hash is the image's label reporunner.recipe.
# Called by build-standins.sh; idempotent.
source "$(dirname "${BASH_SOURCE[0]}")/../../builtin-cluster/env/common.sh"
export DOCKER_HOST="${DOCKER_HOST:-unix://$DOCKER_SOCK}"
DOCKER=/usr/bin/docker
IMAGES="$PROJECT_DIR/testenv/images"

# toolchain NAME → the folder of a setup build (builtin-cluster/build/*), or fail saying which to run.
toolchain() {
  local pointer="$TOOLCHAIN_ROOT/builtin-cluster-paths/$1" dir
  dir=$(cat "$pointer" 2>/dev/null || true)
  [[ -n $dir && -d $dir ]] || die "no $1 build ($pointer): run \`npm run setup\`"
  printf '%s\n' "$dir"
}

# load IMAGE: into the cluster's containerd, unless the image there is already this one (its config is the
# Docker image's id): copying a 500 MB image again would be most of a warm build's time.
load() {
  local image=$1 manifest
  manifest=$(ctr --address "$CONTAINERD_SOCK" -n k8s.io images ls "name==docker.io/$image" 2>/dev/null | awk 'NR==2{print $3}')
  if [[ -n $manifest ]] && ctr --address "$CONTAINERD_SOCK" -n k8s.io content get "$manifest" 2>/dev/null \
    | grep -qF "\"digest\":\"$($DOCKER image inspect -f '{{.Id}}' "$image")\""; then
    return
  fi
  bash "$CLUSTER_DIR/env/load-image.sh" "$image"
}

# build_image IMAGE FOLDER STAGE INPUTS [BUILD-ARG...]: builds FOLDER's Dockerfile, with the files the function
# STAGE puts into the context folder it is given, unless IMAGE's label says it was built from the same recipe:
# FOLDER's files, INPUTS (what STAGE copies from) and the build arguments. Then loads it into the cluster.
build_image() {
  local image=$1 folder=$2 stage=$3 inputs=$4; shift 4
  local recipe args=()
  recipe=$( (cd "$IMAGES/$folder" && find . -type f | sort | xargs sha256sum; printf '%s\n' "$inputs" "$@") | sha256sum | cut -c1-16)
  for arg in "$@"; do args+=(--build-arg "$arg"); done
  if [[ $($DOCKER image inspect -f '{{index .Config.Labels "reporunner.recipe"}}' "$image" 2>/dev/null) != "$recipe" ]]; then
    local started=$SECONDS context
    context=$(mktemp -d)
    cp -r "$IMAGES/$folder/." "$context/"
    "$stage" "$context"
    nice -n 10 $DOCKER build -q --network host --label "reporunner.recipe=$recipe" "${args[@]}" -t "$image" "$context" >/dev/null \
      || die "docker build of $image failed"
    rm -rf "$context"
    log "built $image in $((SECONDS - started))s ($($DOCKER image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
  fi
  load "$image"
}

no_files() { :; }
build_image reporunner-standin/rabbitmq:3.10 rabbitmq no_files "" "RABBITMQ_SERVER_DEB=$RABBITMQ_SERVER_DEB"

jars=$(toolchain kafka-jars)
kafka_files() { cp -r "$jars/libs" "$1/libs"; }
build_image reporunner-standin/kafka:4.1.0 kafka kafka_files "$jars" "OPENJDK_JRE_DEB=$OPENJDK_17_JRE_DEB"

ferretdb=$(toolchain ferretdb-server)
mongosh=$(toolchain mongosh)
mongodb_files() {
  cp "$ferretdb/bin/ferretdb" "$1/ferretdb"
  mkdir -p "$1/mongosh/node/bin" && cp "$mongosh/node/bin/node" "$1/mongosh/node/bin/node"
  cp -r "$mongosh/node_modules" "$1/mongosh/node_modules"
}
build_image reporunner-standin/mongodb:ferretdb-1.24 mongodb mongodb_files "$ferretdb $mongosh"
