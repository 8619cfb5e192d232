#!/usr/bin/env bash
# Proves the test cluster with real traffic (run after `npm run env:up`):
#   docker build (legacy builder) of a tiny busybox httpd image → load-image.sh into containerd →
#   Deployment (imagePullPolicy Never, PodSecurity "restricted") + NodePort Service → pod Ready →
#   curl http://127.0.0.1:<nodePort>/ from the host → a second pod resolves the Service's DNS name
#   and fetches it through its ClusterIP. Deletes what it made. Exit 0 only when all of it worked.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
env_file="$here/../../.builtin-cluster/env"
[[ -f $env_file ]] || { echo "no $env_file: run npm run env:up" >&2; exit 1; }
set -a
# shellcheck disable=SC1090
source "$env_file"
set +a
say() { printf '[smoke %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
t0=$SECONDS
token=$(openssl rand -hex 6)
ns="smoke-$token"
image="reporunner-smoke/httpd:$token"
body="reporunner smoke $token"
work=$(mktemp -d)
cleanup() {
  kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  /usr/bin/docker rmi "$image" >/dev/null 2>&1 || true
  ctr --address "$CONTAINERD_ADDRESS" -n k8s.io images rm "docker.io/$image" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

say "docker build $image (FROM busybox:latest, legacy builder)"
printf '%s\n' "$body" >"$work/index.html"
cat >"$work/Dockerfile" <<'EOF'
FROM busybox:latest
COPY index.html /www/index.html
USER 65534:65534
EXPOSE 8080
CMD ["httpd", "-f", "-v", "-p", "8080", "-h", "/www"]
EOF
DOCKER_BUILDKIT=0 /usr/bin/docker build -q -t "$image" "$work" >/dev/null
"$LOAD_IMAGE" "$image" busybox:latest

say "deploy to namespace $ns (PodSecurity enforce=restricted)"
kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $ns
  labels: {pod-security.kubernetes.io/enforce: restricted}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: $ns}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      securityContext: {runAsNonRoot: true, runAsUser: 65534, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: httpd
        image: $image
        imagePullPolicy: Never
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: $ns}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
EOF
# A privileged pod must be refused by PodSecurity in this namespace.
if kubectl -n "$ns" run refused --image=busybox:latest --image-pull-policy=Never --privileged --restart=Never -- true >/dev/null 2>&1; then
  say "FAIL: PodSecurity admitted a privileged pod"; exit 1
fi
kubectl -n "$ns" rollout status deploy/web --timeout=120s >/dev/null
pod=$(kubectl -n "$ns" get pod -l app=web -o jsonpath='{.items[0].metadata.name}')
say "pod $pod Ready on $(kubectl -n "$ns" get pod "$pod" -o jsonpath='{.status.podIP}') after $((SECONDS - t0))s"

port=$(kubectl -n "$ns" get svc web -o jsonpath='{.spec.ports[0].nodePort}')
got=""
for _ in $(seq 1 30); do
  got=$(curl -fsS -m 2 "http://127.0.0.1:$port/" 2>/dev/null || true)
  [[ $got == "$body" ]] && break
  sleep 0.5
done
[[ $got == "$body" ]] || { say "FAIL: NodePort 127.0.0.1:$port answered '$got'"; exit 1; }
say "NodePort 127.0.0.1:$port → '$got'"

say "client pod: DNS name web.$ns.svc.cluster.local → ClusterIP → pod"
kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: $ns}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  securityContext: {runAsNonRoot: true, runAsUser: 65534, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: client
    image: busybox:latest
    imagePullPolicy: Never
    command: [sh, -c, 'nslookup web.$ns.svc.cluster.local && for i in 1 2 3 4 5; do timeout 5 wget -qO- http://web/ && exit 0; sleep 1; done; exit 1']
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
EOF
phase=""
for _ in $(seq 1 120); do
  phase=$(kubectl -n "$ns" get pod client -o jsonpath='{.status.phase}')
  [[ $phase == Succeeded || $phase == Failed ]] && break
  sleep 0.5
done
out=$(kubectl -n "$ns" logs client 2>&1 || true)
printf '%s\n' "$out" | sed 's/^/    /' >&2
[[ $phase == Succeeded && $out == *"$body"* ]] || { say "FAIL: client pod $phase"; exit 1; }
svc_ip=$(kubectl -n "$ns" get svc web -o jsonpath='{.spec.clusterIP}')
grep -q "$svc_ip" <<<"$out" || { say "FAIL: DNS did not answer the ClusterIP $svc_ip"; exit 1; }

say "deleting namespace $ns"
kubectl delete namespace "$ns" --timeout=90s >/dev/null
trap - EXIT
cleanup
say "cluster smoke passed in $((SECONDS - t0))s"
echo "1 passed, 0 failed"
