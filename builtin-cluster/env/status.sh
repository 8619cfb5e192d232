#!/usr/bin/env bash
# Prints each part of the test environment: its pid and whether it answers. Exit 0 when all answer.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
set +e
kcfg="$KCFG/admin.kubeconfig"
KUBECTL=kubectl
[[ -f $TOOLCHAIN_ROOT/builtin-cluster-paths/kubernetes ]] && KUBECTL="$(cat "$TOOLCHAIN_ROOT/builtin-cluster-paths/kubernetes")/bin/kubectl"
pw=$(cat "$SECRETS/registry-password" 2>/dev/null)
check() {
  case $1 in
  etcd) curl -fsS -m 3 "http://127.0.0.1:$ETCD_PORT/health" ;;
  kube-apiserver) "$KUBECTL" --kubeconfig "$kcfg" get --raw /readyz ;;
  apiserver-bridge) curl -sk -m 3 -o /dev/null "https://$NODE_IP:$APISERVER_PORT/livez" ;;
  kube-controller-manager) curl -fsSk -m 3 https://127.0.0.1:10257/healthz ;;
  kube-scheduler) curl -fsSk -m 3 https://127.0.0.1:10259/healthz ;;
  containerd) ctr --address "$CONTAINERD_SOCK" version ;;
  dockerd) DOCKER_HOST="unix://$DOCKER_SOCK" /usr/bin/docker version ;;
  kubelet) curl -fsS -m 3 http://127.0.0.1:10248/healthz &&
    "$KUBECTL" --kubeconfig "$kcfg" get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -q True ;;
  kube-proxy) curl -fsS -m 3 http://127.0.0.1:10256/healthz ;;
  coredns) curl -fsS -m 3 http://127.0.0.1:18181/ready ;;
  local-path-provisioner) api_connected local-path-provisioner ;;
  kube-router) netpol_ok ;;
  registry) curl -fsS -m 3 --cacert "$PKI/ca.crt" -u "reporunner:$pw" "https://127.0.0.1:$REGISTRY_PORT/v2/" ;;
  redis) redis-cli -p "$REDIS_PORT" ping | grep -q PONG ;;
  ferretdb) timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$MONGO_PORT" ;;
  moto) curl -fsS -m 3 "http://127.0.0.1:$MOTO_PORT/moto-api/" ;;
  esac
}
bad=0 total_kb=0
printf '%-24s %-8s %-10s %s\n' COMPONENT PID RSS STATUS
for c in "${COMPONENTS[@]}"; do
  pid=$(pid_of "$c" 2>/dev/null) rss=""
  if alive "$c"; then
    # RSS of the process and its descendants (e.g. moto's workers).
    kb=$(ps -o rss= --ppid "$pid" 2>/dev/null | awk -v s="$(ps -o rss= -p "$pid")" '{s+=$1} END {print s+0}')
    total_kb=$((total_kb + kb)); rss="$((kb / 1024))M"
    if check "$c" >/dev/null 2>&1; then s=answers; else s="running, NOT answering"; bad=1; fi
  else
    pid=-; s=down; bad=1
  fi
  printf '%-24s %-8s %-10s %s\n' "$c" "$pid" "$rss" "$s"
done
# Container shims and pods are children of containerd's shims, counted apart.
shim_kb=0
for p in /proc/[0-9]*; do
  args=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
  [[ $args == *containerd-shim* && $args == *"$CONTAINERD_SOCK"* ]] || continue
  for q in ${p#/proc/} $(pgrep -P "${p#/proc/}"); do shim_kb=$((shim_kb + $(ps -o rss= -p "$q" 2>/dev/null || echo 0))); done
done
printf '%-24s %-8s %-10s %s\n' "shims+pod processes" - "$((shim_kb / 1024))M" ""
echo "total RSS: $(((total_kb + shim_kb) / 1024)) MiB; state: $STATE; env file: $([[ -f $ENV_FILE ]] && echo "$ENV_FILE" || echo none)"
# The Pulumi plugins the engine runs (on PATH from $TOOLCHAIN_ROOT/pulumi/bin): the binary and its version.
for plugin in "$TOOLCHAIN_ROOT"/pulumi/bin/pulumi-resource-*; do
  [[ -e $plugin ]] || continue
  name=$(basename "$plugin")
  case $name in
  pulumi-resource-kubernetes) version=$PULUMI_KUBERNETES_VERSION what="official provider" ;;
  pulumi-resource-command) version=$PULUMI_COMMAND_VERSION what="stand-in" ;;
  *) version=? what="" ;;
  esac
  printf 'plugin %-28s %-40s %s → %s\n' "$name" "$version" "$what" "$(readlink -f "$plugin")"
done
exit $bad
