#!/usr/bin/env bash
# Stops everything up.sh started (by pid files), removes the pods' containers, mounts, network
# namespaces, the node bridge, and the iptables chains, ipsets and nftables table of the environment.
# Keeps the state dir's data (etcd, registry, certs, secrets, provisioned volumes in $STATE/volumes)
# and the toolchain cache; `rm -rf` the state dir for a clean slate.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[[ $(id -u) == 0 ]] || die "needs root"
t0=$SECONDS
KBIN=""
[[ -f $TOOLCHAIN_ROOT/builtin-cluster-paths/kubernetes ]] && KBIN="$(cat "$TOOLCHAIN_ROOT/builtin-cluster-paths/kubernetes")/bin"
ctr_() { ctr --address "$CONTAINERD_SOCK" "$@"; }

# 1. No new pods: the kubelet goes first.
stop kubelet

# 2. Containers: dockerd stops its own; the pods' tasks are killed and removed through containerd.
stop dockerd 40
if alive containerd; then
  for ns in k8s.io moby; do
    tasks=$(ctr_ -n "$ns" tasks ls -q 2>/dev/null || true)
    for t in $tasks; do ctr_ -n "$ns" tasks kill -a -s SIGKILL "$t" >/dev/null 2>&1 || true; done
    ((${#tasks})) && sleep 1
    for t in $tasks; do ctr_ -n "$ns" tasks delete -f "$t" >/dev/null 2>&1 || true; done
    for c in $(ctr_ -n "$ns" containers ls -q 2>/dev/null || true); do ctr_ -n "$ns" containers rm "$c" >/dev/null 2>&1 || true; done
  done
  [[ -n ${tasks:-} ]] && log "containers removed"
fi

# 3. The rest in three waves, each at once (SIGTERM, wait, SIGKILL after 15 s): clients of the API
#    and the data services; then the API server and containerd; etcd last (the API server hangs on
#    shutdown when etcd goes first).
stop_all local-path-provisioner kube-router coredns kube-proxy kube-scheduler kube-controller-manager apiserver-bridge registry redis ferretdb moto
stop_all kube-apiserver containerd
stop_all etcd

# 4. Shims of our containerd that outlived it (found by our socket path in their arguments).
for p in /proc/[0-9]*; do
  args=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
  if [[ $args == *containerd-shim* && $args == *"$CONTAINERD_SOCK"* ]]; then
    log "killing leftover shim ${p#/proc/}"
    kill -KILL "${p#/proc/}" 2>/dev/null || true
  fi
done

# 5. Mounts under the state dir (pod volumes, rootfs, shm, overlay) and the pods' network namespaces.
mapfile -t mounts < <(findmnt -rn -o TARGET | grep -E "^$STATE/|^/run/netns/cni-|^/var/run/netns/cni-" | sort -r || true)
for m in "${mounts[@]}"; do umount -l "$m" 2>/dev/null || true; done
((${#mounts[@]})) && log "unmounted ${#mounts[@]} mounts"
rm -f /run/netns/cni-* 2>/dev/null || true
rm -rf "$STATE/cni/ipam" "$RUN/containerd/state" "$RUN/docker" 2>/dev/null || true

# Empty cgroups the kubelet and docker made (cgroupfs driver): deepest first; busy ones stay.
for h in /sys/fs/cgroup/*/; do
  for top in kubepods docker; do
    [[ -d $h$top ]] && find "$h$top" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
done

# 6. Network: kube-proxy's rules, ours, docker's and the CNI portmap chains; the devices.
if [[ -n $KBIN && -x $KBIN/kube-proxy ]]; then "$KBIN/kube-proxy" --cleanup >/dev/null 2>&1 || true; fi
for table in filter nat mangle; do
  saved=$(iptables-save -t "$table" 2>/dev/null) || continue
  pat="(RRTESTENV|DOCKER|CNI-|KUBE-)"
  # Rules in built-in chains that jump to ours, then our chains themselves.
  rules=$(grep -E "^-A (INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) .*-j $pat|^-A POSTROUTING -s 172\.31\.254\.0/24 " <<<"$saved" || true)
  while read -r rule; do
    [[ -n $rule ]] && { eval "iptables -t $table ${rule/-A/-D}" 2>/dev/null || true; }
  done <<<"$rules"
  chains=$(grep -oE "^:$pat[A-Za-z0-9_-]*" <<<"$saved" | tr -d ':' || true)
  for ch in $chains; do iptables -t "$table" -F "$ch" 2>/dev/null || true; done
  for ch in $chains; do iptables -t "$table" -X "$ch" 2>/dev/null || true; done
done
# kube-router's ipsets (KUBE-*; inet6:KUBE-* for IPv6), unreferenced now that its rules are gone.
if command -v ipset >/dev/null; then
  for set in $(ipset list -n 2>/dev/null | grep -E '^(inet6:)?KUBE-' || true); do ipset destroy "$set" 2>/dev/null || true; done
fi
nft delete table inet "$GUARD_TABLE" 2>/dev/null || true
for dev in "$BRIDGE" docker0; do
  ip link show "$dev" >/dev/null 2>&1 && ip link delete "$dev" && log "deleted $dev"
done
rm -f "$ENV_FILE"
log "environment down in $((SECONDS - t0))s (data kept in $STATE)"
