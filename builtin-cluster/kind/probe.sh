#!/usr/bin/env bash
# kind create → check → delete, timed: a 2-node cluster (control plane + worker) from reporunner/kind-node, 30080
# and 30082 bound on 127.0.0.1, a busybox web Deployment behind NodePort 30080 answered from the host, and
# cluster DNS from a pod. Needs build/40-kind.sh, kind/build-node-image.sh and the test environment's dockerd.
# KEEP=1 leaves the cluster up.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
ENV_FILE="$PROJECT_DIR/.builtin-cluster/env"
[[ -n "${DOCKER_HOST:-}" ]] || { set -a; source "$ENV_FILE"; set +a; }
KIND="$(cat "$TOOLCHAIN_ROOT/builtin-cluster-paths/kind")/bin/kind"
KUBECTL=${KUBECTL:-$(cat "$TOOLCHAIN_ROOT/builtin-cluster-paths/kubernetes")/bin/kubectl}
NAME=${NAME:-probe}
export PATH="$CLUSTER_DIR/kind/bin:$PATH" KIND_EXPERIMENTAL_DOCKER_NETWORK=bridge
export KUBECONFIG=$(mktemp /tmp/kind-$NAME.kubeconfig.XXXXXX)
cfg=$(mktemp /tmp/kind-$NAME.yaml.XXXXXX)
cat >"$cfg" <<YAML
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking: {apiServerAddress: 127.0.0.1}
nodes:
- role: control-plane
  extraPortMappings:
  - {containerPort: 30080, hostPort: 30080, listenAddress: 127.0.0.1}
  - {containerPort: 30082, hostPort: 30082, listenAddress: 127.0.0.1}
- role: worker
YAML
"$KIND" delete cluster --name "$NAME" >/dev/null 2>&1 || true
t=$SECONDS
"$KIND" create cluster --name "$NAME" --image "reporunner/kind-node:$KUBERNETES_VERSION" --config "$cfg" --retain --wait 5m
log "kind create cluster (2 nodes, --wait 5m): $((SECONDS - t))s"
"$KIND" load docker-image --name "$NAME" busybox:latest >/dev/null
"$KUBECTL" apply -f - >/dev/null <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: docker.io/library/busybox:latest
        imagePullPolicy: Never
        command: [sh, -c, "mkdir -p /w && hostname > /w/index.html && exec httpd -f -p 8080 -h /w"]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]
YAML
"$KUBECTL" rollout status deploy/web --timeout=120s
"$KUBECTL" -n kube-system rollout status deploy/coredns --timeout=120s
"$KUBECTL" get nodes -o wide; "$KUBECTL" get pods -A -o wide
pods=$("$KUBECTL" get pods -l app=web -o jsonpath='{.items[*].metadata.name}')
for _ in 1 2 3; do
  got=$(curl -sS --max-time 5 http://127.0.0.1:30080/ || true)
  # The built-in cluster's kube-proxy DNATs 127.0.0.0/8:<nodePort> on this host before docker-proxy sees it: while
  # it has a NodePort 30080 (infra/preview-gateway), 127.0.0.1:30080 is not kind's.
  [[ " $pods " == *" $got "* ]] || die "127.0.0.1:30080 answered '${got:0:80}', not a web pod ($pods): is the built-in cluster using NodePort 30080?"
  echo "127.0.0.1:30080 -> $got"
done
"$KUBECTL" run dnstest --image=docker.io/library/busybox:latest --image-pull-policy=Never --restart=Never --rm -i \
  --command -- wget -qO- http://web.default.svc.cluster.local/
if [[ -z "${KEEP:-}" ]]; then
  t=$SECONDS; "$KIND" delete cluster --name "$NAME"; log "kind delete cluster: $((SECONDS - t))s"
fi
rm -f "$cfg"
