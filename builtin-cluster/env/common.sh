# Shared by up.sh, down.sh, status.sh and load-image.sh: where the environment lives and how its
# processes are started and found. Source it; it sources ../lib.sh.
# shellcheck shell=bash
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

STATE="${REPORUNNER_STATE:-$HOME/.local/state/reporunner}/testenv"
RUN="$STATE/run"          # pid files and sockets
LOGS="$STATE/logs"
PKI="$STATE/pki"
KCFG="$STATE/kubeconfigs"
SECRETS="$STATE/secrets"
ENV_FILE="$PROJECT_DIR/.builtin-cluster/env"

# The node: a bridge this environment creates; its address is the node's InternalIP. Pods get
# addresses on it; nothing on it is routed anywhere else (see the egress guard in up.sh).
NODE_NAME=testenv-node
BRIDGE=rrtest0
NODE_IP=10.88.0.1
POD_CIDR=10.88.0.0/16
SERVICE_CIDR=10.96.0.0/12
API_SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
CLUSTER_DOMAIN=cluster.local
GUARD_TABLE=rrtestenv     # our nftables table (inet): the pods' egress guard
FWD_CHAIN=RRTESTENV-FWD   # where the guard was before (an iptables chain in filter/FORWARD)

# Loopback ports (override with the environment variable of the same name).
APISERVER_PORT=${APISERVER_PORT:-6443}
ETCD_PORT=${ETCD_PORT:-2379}
ETCD_PEER_PORT=${ETCD_PEER_PORT:-2380}
REGISTRY_PORT=${REGISTRY_PORT:-5000}
REDIS_PORT=${REDIS_PORT:-6379}
MONGO_PORT=${MONGO_PORT:-27017}
MOTO_PORT=${MOTO_PORT:-4566}
DNS_HOST_PORT=53          # CoreDNS answers on 127.0.0.1 and the node IP

CONTAINERD_SOCK="$RUN/containerd/containerd.sock"
DOCKER_SOCK="$RUN/docker.sock"
PAUSE_IMAGE=localhost/reporunner/pause:3.10
# local-path-provisioner's helper pods (busybox from build/26-base-rootfs.sh, pinned in containerd).
HELPER_IMAGE=localhost/reporunner/busybox:latest

# tool_dir NAME → the cache folder a build/2*.sh script built (it writes a pointer file).
tool_dir() {
  local f="$TOOLCHAIN_ROOT/builtin-cluster-paths/$1"
  [[ -f $f && -d $(cat "$f") ]] || die "$1 is not built: run 'npm run setup' first"
  cat "$f"
}

pid_of() { [[ -f "$RUN/$1.pid" ]] && cat "$RUN/$1.pid"; }
# pid_alive PID → the process exists and is not a zombie waiting to be reaped.
pid_alive() {
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $st && $st != Z && $st != X ]]
}
# alive NAME → NAME's recorded process runs (and is still that command, not a reused pid).
alive() {
  local pid want args
  pid=$(pid_of "$1") || return 1
  [[ -n $pid ]] && pid_alive "$pid" || return 1
  want=$(cat "$RUN/$1.cmd" 2>/dev/null) || return 0
  args=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ $args == *"$want"* ]]
}

# start NAME CMD... → runs CMD in its own session with its log in $LOGS/NAME.log, unless NAME runs.
start() {
  local name=$1; shift
  if alive "$name"; then
    log "$name: already running (pid $(pid_of "$name"))"
    return 0
  fi
  log "$name: starting"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
  basename "$1" >"$RUN/$name.cmd"
}

# wait_for NAME SECONDS CMD... → polls CMD until it succeeds; fails with the log's tail if NAME died.
wait_for() {
  local name=$1 limit=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if ! alive "$name"; then
      tail -n 25 "$LOGS/$name.log" >&2 || true
      die "$name exited; log: $LOGS/$name.log"
    fi
    ((SECONDS < deadline)) || { tail -n 25 "$LOGS/$name.log" >&2 || true; die "$name not ready after ${limit}s; log: $LOGS/$name.log"; }
    sleep 0.3
  done
}

# stop_all NAME... → SIGTERM to each running NAME, waits up to STOP_TIMEOUT (15) s for all, then
# SIGKILL; removes the pid files.
stop_all() {
  local name pid pids=() names=() i deadline=$((SECONDS + ${STOP_TIMEOUT:-15}))
  for name in "$@"; do
    if alive "$name"; then
      pid=$(pid_of "$name")
      log "$name: stopping (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid"); names+=("$name")
    fi
    rm -f "$RUN/$name.pid" "$RUN/$name.cmd"
  done
  for i in "${!pids[@]}"; do
    pid=${pids[i]}
    while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    pid_alive "$pid" && { log "${names[i]}: no exit after SIGTERM, killing pid $pid"; kill -KILL "$pid" 2>/dev/null || true; }
  done
  return 0
}
stop() { STOP_TIMEOUT=${2:-15} stop_all "$1"; }

# Every long-running part, in start order (down.sh stops them in reverse).
COMPONENTS=(etcd kube-apiserver apiserver-bridge kube-controller-manager kube-scheduler containerd dockerd
  kubelet kube-proxy coredns local-path-provisioner kube-router registry redis ferretdb moto)

# api_connected NAME → NAME's process holds a connection to the API server (for parts with no health port).
api_connected() {
  local pid
  pid=$(pid_of "$1") || return 1
  [[ $(ss -Htnp state established "( dport = :$APISERVER_PORT )" 2>/dev/null) == *"pid=$pid,"* ]]
}
# netpol_ok → kube-router talks to the API server and its chains are hooked into filter/FORWARD.
netpol_ok() {
  api_connected kube-router && [[ $(iptables -S FORWARD 2>/dev/null) == *"-j KUBE-ROUTER-FORWARD"* ]]
}
