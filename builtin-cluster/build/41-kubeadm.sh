#!/usr/bin/env bash
# kubeadm for kind's node image (kind/build-node-image.sh), from the wrapper module kind/go/kubeadm at
# KUBERNETES_VERSION, stamped like build/20-kubernetes.sh's binaries. Kind's nodes run it; the built-in cluster does not.
# setup.sh runs it after 20-kubernetes, whose k8s.io/kubernetes packages it reuses from Go's cache.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

mod="$CLUSTER_DIR/kind/go/kubeadm"
ver=${KUBERNETES_VERSION#v}; minor=${ver#*.}; minor=${minor%%.*}
ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=${ver%%.*} -X $p.gitMinor=$minor"
  ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done
# The key is the one build-node-image.sh used when it built kubeadm itself, so that build is reused.
out=$(cache_dir kubeadm "$KUBERNETES_VERSION" "$(cat "$mod"/go.* "$mod"/*.go | sha256sum)" "$ldflags")
if [[ -x "$out/bin/kubeadm" ]]; then
  log "kubeadm $KUBERNETES_VERSION: reusing $out/bin/kubeadm"
else
  log "building kubeadm $KUBERNETES_VERSION (slow on a cold cache)"
  tmp="$out.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp/bin"
  (cd "$mod" && CGO_ENABLED=0 nice -n 10 go build -ldflags "$ldflags" -o "$tmp/bin/" k8s.io/kubernetes/cmd/kubeadm)
  rm -rf "$out"; mv "$tmp" "$out"
fi
log "kubeadm $("$out/bin/kubeadm" version -o short) in $out/bin/kubeadm"
# kind/build-node-image.sh finds this build through this pointer.
mkdir -p "$TOOLCHAIN_ROOT/builtin-cluster-paths" && printf '%s\n' "$out" >"$TOOLCHAIN_ROOT/builtin-cluster-paths/kubeadm"
