#!/usr/bin/env bash
# load-image.sh IMAGE... → copies images from the test environment's Docker into the cluster's
# containerd (what `kind load docker-image` does): docker save | ctr -n k8s.io images import -.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
(($#)) || die "usage: load-image.sh IMAGE..."
export DOCKER_HOST="${DOCKER_HOST:-unix://$DOCKER_SOCK}"
for image in "$@"; do
  /usr/bin/docker save "$image" | ctr --address "$CONTAINERD_SOCK" -n k8s.io images import - >/dev/null
  log "loaded $image into containerd (k8s.io)"
done
