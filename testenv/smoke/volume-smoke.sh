#!/usr/bin/env bash
# Proves the test cluster's volumes (run after `npm run env:up`, as root, on the node):
#   StatefulSet (busybox, runAsUser 65534, PodSecurity "restricted") with a 100Mi volumeClaimTemplate and no
#   storageClassName → the default StorageClass "standard" → local-path-provisioner (rancher.io/local-path,
#   as in kind) makes a PersistentVolume on a host directory → pod Running, its file is in that directory,
#   and survives the pod being replaced → namespace deleted → the PersistentVolume and its directory are
#   gone. Exit 0 only when all of it worked.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
env_file="$here/../../.builtin-cluster/env"
[[ -f $env_file ]] || { echo "no $env_file: run npm run env:up" >&2; exit 1; }
set -a
# shellcheck disable=SC1090
source "$env_file"
set +a
say() { printf '[volume-smoke %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
t0=$SECONDS
token=$(openssl rand -hex 6)
ns="volume-smoke-$token"
cleanup() { kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; }
trap cleanup EXIT

# The pod's image: Docker's busybox into the cluster's containerd (a no-op once there).
"$LOAD_IMAGE" busybox:latest
say "StatefulSet with a 100Mi volumeClaimTemplate in namespace $ns"
kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $ns
  labels: {pod-security.kubernetes.io/enforce: restricted}
---
apiVersion: v1
kind: Service
metadata: {name: data, namespace: $ns}
spec:
  clusterIP: None
  selector: {app: data}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: data, namespace: $ns}
spec:
  serviceName: data
  replicas: 1
  selector: {matchLabels: {app: data}}
  template:
    metadata: {labels: {app: data}}
    spec:
      terminationGracePeriodSeconds: 1
      securityContext: {runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: writer
        image: busybox:latest
        imagePullPolicy: IfNotPresent
        command: [sh, -c, 'echo "$token \$(hostname)" >>/data/hello.txt && exec sleep 3600']
        volumeMounts: [{name: vol, mountPath: /data}]
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
  volumeClaimTemplates:
  - metadata: {name: vol}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 100Mi}}
EOF
kubectl -n "$ns" rollout status statefulset/data --timeout=120s >/dev/null ||
  { kubectl -n "$ns" get pvc,pod -o wide >&2 || true; fail "the StatefulSet did not become ready"; }
[[ $(kubectl -n "$ns" get pod data-0 -o jsonpath='{.status.phase}') == Running ]] || fail "pod data-0 is not Running"
pvc=vol-data-0
pv=$(kubectl -n "$ns" get pvc "$pvc" -o jsonpath='{.spec.volumeName}')
[[ -n $pv ]] || fail "claim $pvc is not bound"
read -r class policy by dir < <(kubectl get pv "$pv" -o jsonpath='{.spec.storageClassName} {.spec.persistentVolumeReclaimPolicy} {.metadata.annotations.pv\.kubernetes\.io/provisioned-by} {.spec.hostPath.path}'; echo)
say "pod data-0 Running after $((SECONDS - t0))s; $pvc → $pv ($class, $policy, by $by) at $dir"
[[ $class == standard && $policy == Delete && $by == rancher.io/local-path ]] || fail "unexpected PersistentVolume"
[[ $dir == "$TESTENV_STATE/volumes/$pv"_"$ns"_"$pvc" ]] || fail "unexpected host path $dir"
[[ $(stat -c %a "$dir") == 777 ]] || fail "$dir has mode $(stat -c %a "$dir"), not 777"
got=$(cat "$dir/hello.txt" 2>/dev/null || true)
[[ $got == "$token data-0" ]] || fail "host file $dir/hello.txt holds '$got'"
[[ $(stat -c %u "$dir/hello.txt") == 65534 ]] || fail "host file not owned by 65534"
say "host file $dir/hello.txt: '$got' (uid 65534)"

say "replacing the pod: the data must stay"
kubectl -n "$ns" delete pod data-0 --wait=true --timeout=60s >/dev/null
kubectl -n "$ns" wait pod/data-0 --for=condition=Ready --timeout=90s >/dev/null 2>&1 ||
  { sleep 2; kubectl -n "$ns" wait pod/data-0 --for=condition=Ready --timeout=60s >/dev/null; }
got=$(kubectl -n "$ns" exec data-0 -- cat /data/hello.txt)
[[ $got == "$token data-0"$'\n'"$token data-0" ]] || fail "after the restart the volume holds '$got'"
say "the new pod sees both writes"

say "deleting namespace $ns"
kubectl delete namespace "$ns" --timeout=90s >/dev/null
trap - EXIT
deadline=$((SECONDS + 30))
while kubectl get pv "$pv" >/dev/null 2>&1 || [[ -e $dir ]]; do
  ((SECONDS < deadline)) || fail "30 s after the namespace went, PV $pv $(kubectl get pv "$pv" -o jsonpath='{.status.phase}' 2>/dev/null || echo gone), directory $([[ -e $dir ]] && echo present || echo gone)"
  sleep 1
done
say "PV $pv and $dir deleted $((30 - deadline + SECONDS))s after the namespace"
say "volume smoke passed in $((SECONDS - t0))s"
echo "1 passed, 0 failed"
