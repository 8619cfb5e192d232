#!/usr/bin/env bash
# Kubernetes control plane + node binaries (kube-apiserver, kube-controller-manager, kube-scheduler,
# kubelet, kube-proxy, kubectl) from the k8s.io/kubernetes Go module, in one shared `go build`.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

mod="$CLUSTER_DIR/go/kubernetes"
# Keyed by the version, the module files and the build recipe (bump recipe= when the go build line changes).
recipe=1
out=$(cache_dir kubernetes "$KUBERNETES_VERSION" "$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum)" "recipe=$recipe")
cmds=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

if [[ -x "$out/bin/kubectl" && -x "$out/bin/kubelet" ]]; then
  log "kubernetes $KUBERNETES_VERSION: reusing $out/bin"
else
  ver=${KUBERNETES_VERSION#v}
  major=${ver%%.*}; minor=${ver#*.}; minor=${minor%%.*}
  flags="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor"
    flags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  tmp="$out.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp/bin"
  log "building kubernetes $KUBERNETES_VERSION (${cmds[*]}) — slow on a cold cache"
  (cd "$mod" && CGO_ENABLED=0 go build -trimpath -ldflags "$flags" -o "$tmp/bin/" \
    "${cmds[@]/#/k8s.io/kubernetes/cmd/}")
  rm -rf "$out"; mv "$tmp" "$out"
fi
log "$("$out/bin/kube-apiserver" --version || true)"
log "kubernetes binaries in $out/bin: ${cmds[*]}"
# env/up.sh finds this build through this pointer.
mkdir -p "$TOOLCHAIN_ROOT/builtin-cluster-paths" && printf '%s\n' "$out" > "$TOOLCHAIN_ROOT/builtin-cluster-paths/kubernetes"
