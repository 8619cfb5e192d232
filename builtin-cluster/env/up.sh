#!/usr/bin/env bash
# Starts the test environment on this machine, on loopback (and on the node bridge it creates):
#   etcd, kube-apiserver (TLS, RBAC+Node authorizers, PodSecurity admission), controller-manager,
#   scheduler, containerd (CRI, runc, cgroupfs), dockerd, kubelet, kube-proxy (iptables), CoreDNS,
#   a TLS+htpasswd registry, redis, FerretDB (MongoDB wire protocol), moto (AWS APIs), local-path-provisioner
#   (default StorageClass "standard", as in kind) and kube-router's NetworkPolicy controller.
# Idempotent: parts already running are kept. Writes $PROJECT_DIR/.builtin-cluster/env (KEY=VALUE lines).
# Needs root (network devices, iptables, mounts) and a built toolchain (npm run setup).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ $(id -u) == 0 ]] || die "the test environment needs root (bridge, iptables, containerd)"
t0=$SECONDS

KBIN="$(tool_dir kubernetes)/bin"
ETCD="$(tool_dir etcd)/bin/etcd"
COREDNS="$(tool_dir coredns)/bin/coredns"
FERRETDB="$(tool_dir ferretdb)/bin/ferretdb"
MOTO_SERVER="$(tool_dir moto)/venv/bin/moto_server"
ROOTFS="$(tool_dir base-rootfs)"
LOCAL_PATH_PROVISIONER="$(tool_dir local-path-provisioner)/bin/local-path-provisioner"
KUBE_ROUTER="$(tool_dir kube-router)/bin/kube-router"
KUBECTL="$KBIN/kubectl"
for b in containerd dockerd docker ctr runc docker-registry redis-server htpasswd socat openssl iptables conntrack; do
  command -v "$b" >/dev/null || die "$b missing: run 'npm run setup' (build/21-debian-packages.sh)"
done
for b in ipset nft; do
  command -v "$b" >/dev/null || die "$b missing: run 'npm run setup' (build/28-network-policies.sh)"
done
DOCKER=/usr/bin/docker   # Debian's client, matching its daemon
CNI_BIN=/usr/lib/cni
[[ -x $CNI_BIN/bridge ]] || die "CNI plugins missing in $CNI_BIN (containernetworking-plugins)"

mkdir -p "$RUN" "$LOGS" "$PKI" "$KCFG" "$SECRETS" "$STATE"/{etcd,kubelet,pod-logs,kubelet-plugins,containerd,docker,registry/data,redis,ferretdb,moto,cni/net.d,cni/ipam,coredns,pulumi-home,pulumi-state,volumes} "$RUN/containerd" "$(dirname "$ENV_FILE")"
chmod 700 "$SECRETS" "$PKI"

# ---------------------------------------------------------------- secrets (made once, kept)
secret() { # NAME → a random value kept in $SECRETS/NAME (0600)
  local f="$SECRETS/$1"
  [[ -s $f ]] || (umask 077 && openssl rand -hex 16 >"$f")
  cat "$f"
}
REGISTRY_USER=reporunner
REGISTRY_PASSWORD=$(secret registry-password)
PULUMI_PASSPHRASE=$(secret pulumi-passphrase)

# ---------------------------------------------------------------- PKI (openssl, made once)
ca() {
  [[ -s $PKI/ca.crt ]] && return
  log "pki: making the cluster CA"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=reporunner-testenv-ca" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/ca.crt" 2>/dev/null
}
cert() { # NAME CN ORG EKU [SANS]
  local n=$1 cn=$2 org=$3 eku=$4 sans=${5:-}
  [[ -s $PKI/$n.crt ]] && return
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$n.key" 2>/dev/null
  openssl req -new -key "$PKI/$n.key" -subj "/CN=$cn${org:+/O=$org}" -out "$PKI/$n.csr" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [[ -z $sans ]] || echo "subjectAltName=$sans"
  } >"$PKI/$n.ext"
  openssl x509 -req -in "$PKI/$n.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$PKI/$n.ext" -out "$PKI/$n.crt" 2>/dev/null
  rm -f "$PKI/$n.csr" "$PKI/$n.ext"
}
ca
api_sans="IP:127.0.0.1,IP:$API_SERVICE_IP,IP:$NODE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default"
api_sans+=",DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN"
cert apiserver kube-apiserver "" serverAuth "$api_sans"
cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters clientAuth
cert admin reporunner-admin system:masters clientAuth
cert controller-manager system:kube-controller-manager "" clientAuth
cert scheduler system:kube-scheduler "" clientAuth
cert kubelet "system:node:$NODE_NAME" system:nodes clientAuth
cert kubelet-serving "system:node:$NODE_NAME" system:nodes serverAuth "IP:$NODE_IP,IP:127.0.0.1,DNS:$NODE_NAME"
cert kube-proxy system:kube-proxy "" clientAuth
cert coredns system:coredns "" clientAuth
cert local-path-provisioner reporunner:local-path-provisioner "" clientAuth
cert kube-router reporunner:kube-router "" clientAuth
cert registry reporunner-registry "" serverAuth "IP:127.0.0.1,DNS:localhost"
if [[ ! -s $PKI/sa.key ]]; then
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
fi

kubeconfig() { # NAME CERT → $KCFG/NAME.kubeconfig for the apiserver on loopback
  local f="$KCFG/$1.kubeconfig" c=$2
  [[ -s $f ]] && return
  cat >"$f" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: reporunner-testenv
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $1
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/$c.crt")
    client-key-data: $(base64 -w0 <"$PKI/$c.key")
contexts:
- name: reporunner-testenv
  context: {cluster: reporunner-testenv, user: $1}
current-context: reporunner-testenv
EOF
  chmod 600 "$f"
}
for k in admin controller-manager scheduler kubelet kube-proxy coredns local-path-provisioner kube-router; do kubeconfig "$k" "$k"; done
ADMIN_KUBECONFIG="$KCFG/admin.kubeconfig"
kc() { "$KUBECTL" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }
# put FILE <stdin → writes FILE only when its content changes (running parts watch their configs).
put() {
  local new
  new=$(cat)
  [[ -f $1 && "$(cat "$1")" == "$new" ]] && return 0
  printf '%s\n' "$new" >"$1"
}

# ---------------------------------------------------------------- node network
sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1 2>/dev/null ||
  sysctl -qw net.ipv4.ip_forward=1
if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
  log "network: bridge $BRIDGE $NODE_IP/16"
  ip link add "$BRIDGE" type bridge
fi
# Captured, not piped to grep -q: under pipefail, grep leaving early fails the pipe (SIGPIPE) at random.
[[ $(ip -4 addr show dev "$BRIDGE") == *"inet $NODE_IP/"* ]] || ip addr add "$NODE_IP/16" dev "$BRIDGE"
ip link set "$BRIDGE" up
# ClusterIPs are on no interface: route the service range onto the node bridge so that the host can
# connect() to them (kube-proxy DNATs in OUTPUT); an unassigned one then stays on the bridge, unanswered.
ip route replace "$SERVICE_CIDR" dev "$BRIDGE" src "$NODE_IP"
# The cluster DNS address is the node's own (CoreDNS answers on it, see below), so that pods' DNS is
# local traffic to the node, which the NetworkPolicy controller lets through for the service range.
[[ $(ip -4 addr show dev "$BRIDGE") == *"inet $DNS_SERVICE_IP/32"* ]] || ip addr add "$DNS_SERVICE_IP/32" dev "$BRIDGE"
# Egress guard: pods talk to each other, the node and the host's services, never beyond the bridge.
# An nftables table whose forward chain runs before iptables' filter table, so that nothing accepted
# there (kube-router ACCEPTs the traffic a NetworkPolicy allows) can take a packet past it.
nft -f - <<EOF
table inet $GUARD_TABLE
delete table inet $GUARD_TABLE
table inet $GUARD_TABLE {
  chain forward {
    type filter hook forward priority filter - 10; policy accept;
    iifname "$BRIDGE" oifname "$BRIDGE" return
    iifname "$BRIDGE" reject
    oifname "$BRIDGE" ip saddr != $POD_CIDR ct state != { established, related } ct status & dnat == 0 reject
  }
}
EOF
# (Before the nftables guard it was an iptables chain: drop it when an older up.sh left it.)
if iptables -D FORWARD -j "$FWD_CHAIN" 2>/dev/null; then iptables -F "$FWD_CHAIN"; iptables -X "$FWD_CHAIN"; fi

put "$STATE/cni/net.d/10-reporunner.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "reporunner",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$STATE/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_IP"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF

# ---------------------------------------------------------------- data services (independent: start early)
if [[ ! -s $STATE/registry/htpasswd ]]; then
  htpasswd -Bbn "$REGISTRY_USER" "$REGISTRY_PASSWORD" >"$STATE/registry/htpasswd" 2>/dev/null
fi
put "$STATE/registry/config.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $STATE/registry/data}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$REGISTRY_PORT
  tls: {certificate: $PKI/registry.crt, key: $PKI/registry.key}
  headers: {X-Content-Type-Options: [nosniff]}
auth:
  htpasswd: {realm: reporunner-testenv, path: $STATE/registry/htpasswd}
EOF
start registry docker-registry serve "$STATE/registry/config.yml"
start redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$STATE/redis" --save "" --appendonly no \
  --daemonize no --protected-mode yes --logfile ""
start ferretdb "$FERRETDB" --handler=sqlite --sqlite-url="file:$STATE/ferretdb/" \
  --listen-addr="127.0.0.1:$MONGO_PORT" --telemetry=disable --log-level=warn
start moto "$MOTO_SERVER" -H 127.0.0.1 -p "$MOTO_PORT"

# ---------------------------------------------------------------- control plane
start etcd "$ETCD" --name testenv --data-dir "$STATE/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "testenv=http://127.0.0.1:$ETCD_PEER_PORT" \
  --quota-backend-bytes 2147483648 --snapshot-count 10000 --log-level warn
wait_for etcd 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

start kube-apiserver "$KBIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --secure-port "$APISERVER_PORT" --advertise-address "$NODE_IP" \
  --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
  --client-ca-file "$PKI/ca.crt" \
  --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority "$PKI/ca.crt" --kubelet-preferred-address-types InternalIP \
  --service-account-issuer "https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
  --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
  --service-cluster-ip-range "$SERVICE_CIDR" \
  --authorization-mode Node,RBAC \
  --enable-admission-plugins NodeRestriction,PodSecurity,LimitRanger,ResourceQuota,ServiceAccount,DefaultStorageClass \
  --allow-privileged=true --profiling=false --event-ttl 1h
wait_for kube-apiserver 90 kc get --raw /readyz
# In-cluster clients reach the API through the kubernetes Service → the node IP: forward it to loopback.
start apiserver-bridge socat "TCP-LISTEN:$APISERVER_PORT,bind=$NODE_IP,reuseaddr,fork" "TCP:127.0.0.1:$APISERVER_PORT"

start kube-controller-manager "$KBIN/kube-controller-manager" \
  --kubeconfig "$KCFG/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$KCFG/controller-manager.kubeconfig" --authorization-kubeconfig "$KCFG/controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
  --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
  --service-cluster-ip-range "$SERVICE_CIDR" --cluster-cidr "$POD_CIDR" --allocate-node-cidrs=false \
  --controllers '*,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller'
start kube-scheduler "$KBIN/kube-scheduler" \
  --kubeconfig "$KCFG/scheduler.kubeconfig" \
  --authentication-kubeconfig "$KCFG/scheduler.kubeconfig" --authorization-kubeconfig "$KCFG/scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --leader-elect=false

# ---------------------------------------------------------------- container runtime + docker
mkdir -p "$STATE/containerd/certs.d/127.0.0.1:$REGISTRY_PORT"
put "$STATE/containerd/certs.d/127.0.0.1:$REGISTRY_PORT/hosts.toml" <<EOF
server = "https://127.0.0.1:$REGISTRY_PORT"
[host."https://127.0.0.1:$REGISTRY_PORT"]
  capabilities = ["pull", "resolve"]
  ca = "$PKI/ca.crt"
EOF
capeff=$(awk '/^CapEff/ {print $2}' /proc/self/status)
restrict_oom=true
(( 0x${capeff:-0} & (1 << 24) )) && restrict_oom=false   # CAP_SYS_RESOURCE
put "$STATE/containerd/config.toml" <<EOF
version = 2
root = "$STATE/containerd/root"
state = "$RUN/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # No CAP_SYS_RESOURCE in this VM (root without it): never ask for an oom_score_adj below containerd's.
  restrict_oom_score_adj = $restrict_oom
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$STATE/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$STATE/containerd/certs.d"
EOF
start containerd containerd --config "$STATE/containerd/config.toml" --log-level warn
wait_for containerd 30 ctr --address "$CONTAINERD_SOCK" version

put "$STATE/docker/daemon.json" <<EOF
{
  "data-root": "$STATE/docker/data",
  "exec-root": "$RUN/docker",
  "pidfile": "$RUN/dockerd.self.pid",
  "hosts": ["unix://$DOCKER_SOCK"],
  "containerd": "$CONTAINERD_SOCK",
  "bip": "172.31.254.1/24",
  "ip": "127.0.0.1",
  "storage-driver": "overlay2",
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "log-level": "warn",
  "features": {"buildkit": false}
}
EOF
start dockerd dockerd --config-file "$STATE/docker/daemon.json"
export DOCKER_HOST="unix://$DOCKER_SOCK"
wait_for dockerd 60 "$DOCKER" version

# Base images, made from root filesystems (nothing can be pulled here).
# Each image carries the name of the rootfs build it came from; a newer build re-imports it.
rootfs_id=$(basename "$ROOTFS")
docker_import() { # TAR IMAGE CHANGES...
  local tar=$1 image=$2; shift 2
  [[ "$("$DOCKER" image inspect -f '{{index .Config.Labels "org.reporunner.rootfs"}}' "$image" 2>/dev/null)" == "$rootfs_id" ]] && return
  [[ -s $tar ]] || { log "images: no $tar, skipping $image"; return 0; }
  log "images: docker import $image"
  local c=(--change "LABEL org.reporunner.rootfs=$rootfs_id") ch
  for ch in "$@"; do c+=(--change "$ch"); done
  "$DOCKER" import "${c[@]}" "$tar" "$image" >/dev/null
}
docker_import "$ROOTFS/busybox.tar" busybox:latest 'CMD ["sh"]'
docker_import "$ROOTFS/debian.tar" debian:bookworm-slim 'CMD ["bash"]' 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
docker_import "$ROOTFS/pause.tar" "$PAUSE_IMAGE" 'ENTRYPOINT ["/pause"]'
# Drop the images that newer imports left untagged.
"$DOCKER" image prune -f --filter "label=org.reporunner.rootfs" >/dev/null
# The cluster's own images, in containerd for the kubelet, pinned (never garbage-collected): the pause
# image and busybox as local-path-provisioner's helper (it makes and removes the volume directories).
"$DOCKER" tag busybox:latest "$HELPER_IMAGE"
to_containerd() { # IMAGE → imports it from docker unless containerd holds that very image
  local image=$1 id mark
  id=$("$DOCKER" image inspect -f '{{.Id}}' "$image")
  mark="$STATE/containerd/$(printf %s "$image" | tr -c 'A-Za-z0-9.-' _).imported"
  if [[ "$(cat "$mark" 2>/dev/null)" != "$id" ]] ||
    ! ctr --address "$CONTAINERD_SOCK" -n k8s.io images ls -q | grep -xF "$image" >/dev/null; then
    log "images: $image → containerd k8s.io"
    "$DOCKER" save "$image" | ctr --address "$CONTAINERD_SOCK" -n k8s.io images import - >/dev/null
    ctr --address "$CONTAINERD_SOCK" -n k8s.io images label "$image" io.cri-containerd.pinned=pinned >/dev/null 2>&1 || true
    echo "$id" >"$mark"
  fi
}
to_containerd "$PAUSE_IMAGE"
to_containerd "$HELPER_IMAGE"

# ---------------------------------------------------------------- node: kubelet + kube-proxy
printf 'nameserver %s\nsearch .\n' "$NODE_IP" >"$STATE/kubelet/resolv.conf"
put "$STATE/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDNS: [$DNS_SERVICE_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: $STATE/kubelet/resolv.conf
podLogsDir: $STATE/pod-logs
volumePluginDir: $STATE/kubelet-plugins
hairpinMode: hairpin-veth
serializeImagePulls: false
rotateCertificates: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
maxPods: 110
EOF
start kubelet "$KBIN/kubelet" --config "$STATE/kubelet/config.yaml" --kubeconfig "$KCFG/kubelet.kubeconfig" \
  --root-dir "$STATE/kubelet" --node-ip "$NODE_IP" --hostname-override "$NODE_NAME" --v 1

put "$STATE/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $KCFG/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: [127.0.0.0/8, $NODE_IP/32]
iptables: {localhostNodePorts: true, masqueradeAll: false}
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
start kube-proxy "$KBIN/kube-proxy" --config "$STATE/kube-proxy.yaml"

# ---------------------------------------------------------------- cluster DNS: CoreDNS on the node
# CoreDNS runs on the node and answers on the kube-dns Service's own address, which up.sh put on the node
# bridge: the Service is labelled for another proxy, so kube-proxy leaves it alone and pods' queries stay
# local traffic to the node (kube-router lets the service range in; a DNAT to the node's address would
# meet the pods' egress policies, which name DNS by the kube-dns pods that this cluster does not have).
# The EndpointSlice names the node, where CoreDNS answers too.
kc apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:coredns"}]
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns, kubernetes.io/name: CoreDNS, service.kubernetes.io/service-proxy-name: reporunner-node-dns}
spec:
  clusterIP: $DNS_SERVICE_IP
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-node
  namespace: kube-system
  labels: {kubernetes.io/service-name: kube-dns, endpointslice.kubernetes.io/managed-by: reporunner-testenv}
addressType: IPv4
endpoints:
- addresses: [$NODE_IP]
  conditions: {ready: true}
  nodeName: $NODE_NAME
ports:
- {name: dns, port: 53, protocol: UDP}
- {name: dns-tcp, port: 53, protocol: TCP}
EOF
put "$STATE/coredns/Corefile" <<EOF
$CLUSTER_DOMAIN:$DNS_HOST_PORT in-addr.arpa:$DNS_HOST_PORT ip6.arpa:$DNS_HOST_PORT {
  bind 127.0.0.1 $NODE_IP $DNS_SERVICE_IP
  errors
  health 127.0.0.1:18080
  ready 127.0.0.1:18181
  kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
    kubeconfig $KCFG/coredns.kubeconfig reporunner-testenv
    pods insecure
    fallthrough in-addr.arpa ip6.arpa
    ttl 5
  }
  cache 5
  loadbalance
}
EOF
start coredns "$COREDNS" -conf "$STATE/coredns/Corefile"

# ---------------------------------------------------------------- volumes: local-path-provisioner on the node
# As in kind: the default StorageClass "standard" is rancher.io/local-path, WaitForFirstConsumer (it makes
# the directory on the node the pod was scheduled to). The provisioner runs on the host against the API
# server; for each claim it runs a helper pod (busybox, in namespace local-path-storage) that makes
# $STATE/volumes/pvc-<uid>_<namespace>_<claim> (mode 0777) and, once the claim is gone, removes it.
# The class's provisioner and binding mode cannot change in place: replace a class of another provisioner.
# (It replaced a TypeScript provisioner of ours: stop one that an older up.sh started.)
alive hostpath-provisioner && stop hostpath-provisioner
sc_provisioner=$(kc get storageclass standard -o jsonpath='{.provisioner}' 2>/dev/null || true)
if [[ -n $sc_provisioner && $sc_provisioner != rancher.io/local-path ]]; then
  log "volumes: replacing StorageClass standard ($sc_provisioner → rancher.io/local-path)"
  kc delete storageclass standard >/dev/null
fi
lpp_manifest=$(cat <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: local-path-storage
  # The helper pods mount the volumes' parent directory (hostPath).
  labels: {pod-security.kubernetes.io/enforce: privileged}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: local-path-provisioner-service-account, namespace: local-path-storage}
automountServiceAccountToken: false
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: rancher.io/local-path
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "reporunner:local-path-provisioner"}
rules:
- apiGroups: [""]
  resources: [nodes, persistentvolumeclaims, configmaps, pods, pods/log]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [persistentvolumes]
  verbs: [get, list, watch, create, patch, update, delete]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [storage.k8s.io]
  resources: [storageclasses]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "reporunner:local-path-provisioner"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "reporunner:local-path-provisioner"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "reporunner:local-path-provisioner"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: "reporunner:local-path-provisioner", namespace: local-path-storage}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch, create, patch, update, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: "reporunner:local-path-provisioner", namespace: local-path-storage}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: "reporunner:local-path-provisioner"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "reporunner:local-path-provisioner"}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: local-path-config, namespace: local-path-storage}
data:
  config.json: |-
    {"nodePathMap": [{"node": "DEFAULT_PATH_FOR_NON_LISTED_NODES", "paths": ["$STATE/volumes"]}]}
  setup: |-
    #!/bin/sh
    set -eu
    mkdir -m 0777 -p "\$VOL_DIR"
  teardown: |-
    #!/bin/sh
    set -eu
    rm -rf "\$VOL_DIR"
  helperPod.yaml: |-
    apiVersion: v1
    kind: Pod
    metadata:
      name: helper-pod
    spec:
      priorityClassName: system-node-critical
      automountServiceAccountToken: false
      tolerations:
      - {key: node.kubernetes.io/disk-pressure, operator: Exists, effect: NoSchedule}
      containers:
      - name: helper-pod
        image: $HELPER_IMAGE
        imagePullPolicy: Never
EOF
)
kc apply -f - >/dev/null <<<"$lpp_manifest"
# It reads its configuration from the ConfigMap once, at start: restart it when that changed.
lpp_sum=$(sha256sum <<<"$lpp_manifest" | cut -c1-16)
if alive local-path-provisioner && [[ "$(cat "$RUN/local-path-provisioner.config" 2>/dev/null)" != "$lpp_sum" ]]; then
  log "local-path-provisioner: configuration changed, restarting"
  stop local-path-provisioner
fi
echo "$lpp_sum" >"$RUN/local-path-provisioner.config"
start local-path-provisioner "$LOCAL_PATH_PROVISIONER" start \
  --kubeconfig "$KCFG/local-path-provisioner.kubeconfig" --namespace local-path-storage \
  --configmap-name local-path-config --service-account-name local-path-provisioner-service-account \
  --provisioner-name rancher.io/local-path --helper-image "$HELPER_IMAGE"

# ---------------------------------------------------------------- NetworkPolicy: kube-router's controller
# Only its network policy controller (no routing, no service proxy: the bridge and kube-proxy do those):
# iptables chains and ipsets in the filter table, from the pods and NetworkPolicies the API holds. It
# reads the node's address from the Node object, so it starts once the kubelet registered it (below).
kc apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "reporunner:kube-router"}
rules:
- apiGroups: [""]
  resources: [namespaces, pods, services, nodes, endpoints]
  verbs: [get, list, watch]
- apiGroups: [networking.k8s.io]
  resources: [networkpolicies]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "reporunner:kube-router"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "reporunner:kube-router"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "reporunner:kube-router"}]
EOF

# ---------------------------------------------------------------- readiness
wait_for kubelet 60 curl -fsS http://127.0.0.1:10248/healthz
wait_for kube-proxy 30 curl -fsS http://127.0.0.1:10256/healthz
wait_for coredns 30 curl -fsS http://127.0.0.1:18181/ready
wait_for local-path-provisioner 30 api_connected local-path-provisioner
wait_for kube-controller-manager 30 curl -fsSk https://127.0.0.1:10257/healthz
wait_for kube-scheduler 30 curl -fsSk https://127.0.0.1:10259/healthz
node_ready() { kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -q True; }
wait_for kubelet 90 node_ready
# (--health-port=0: its health server would listen on every interface.)
start kube-router "$KUBE_ROUTER" --kubeconfig "$KCFG/kube-router.kubeconfig" --hostname-override "$NODE_NAME" \
  --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false \
  --enable-ipv4=true --enable-ipv6=false --service-cluster-ip-range "$SERVICE_CIDR" \
  --health-port=0 --metrics-port=0 --iptables-sync-period=1m --v=0
wait_for kube-router 60 netpol_ok
sa_ready() { kc -n default get serviceaccount default; }
wait_for kube-controller-manager 30 sa_ready
wait_for registry 20 curl -fsS --cacert "$PKI/ca.crt" -o /dev/null -u "$REGISTRY_USER:$REGISTRY_PASSWORD" "https://127.0.0.1:$REGISTRY_PORT/v2/"
wait_for redis 20 redis-cli -p "$REDIS_PORT" ping
wait_for ferretdb 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$MONGO_PORT"
wait_for moto 60 curl -fsS -o /dev/null "http://127.0.0.1:$MOTO_PORT/moto-api/"

# ---------------------------------------------------------------- env file
# PATH for consumers: our kubectl first, without the node_modules/.bin folders npm run adds.
path_line="$KBIN:$(tr ':' '\n' <<<"$PATH" | grep -vE '/node_modules/\.bin$|node-gyp-bin' | grep -vxF "$KBIN" | paste -sd:)"
pulumi_lines=""
if [[ -f $CLUSTER_DIR/pulumi-env.sh ]]; then
  # shellcheck disable=SC1091
  pulumi_lines=$(env -i HOME="$HOME" PATH="$path_line" REPORUNNER_CACHE="${REPORUNNER_CACHE:-}" bash -c \
    "source '$CLUSTER_DIR/pulumi-env.sh' >/dev/null 2>&1; env" | grep -E '^(PATH|PULUMI_[A-Z_]+)=' || true)
  p=$(sed -n 's/^PATH=//p' <<<"$pulumi_lines")
  [[ -z $p ]] || path_line=$p
  pulumi_lines=$(grep -v '^PATH=' <<<"$pulumi_lines" || true)
fi
tmp_env="$ENV_FILE.tmp.$$"
(
  umask 077
  cat >"$tmp_env" <<EOF
# Written by builtin-cluster/env/up.sh at $(date -u +%Y-%m-%dT%H:%M:%SZ). KEY=VALUE, no quoting, no export.
TESTENV_STATE=$STATE
KUBECONFIG=$ADMIN_KUBECONFIG
KUBE_CONTEXT=reporunner-testenv
KUBE_NODE_NAME=$NODE_NAME
KUBE_NODE_IP=$NODE_IP
KUBECTL=$KUBECTL
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
MONGODB_URL=mongodb://127.0.0.1:$MONGO_PORT/
REGISTRY=127.0.0.1:$REGISTRY_PORT
REGISTRY_USER=$REGISTRY_USER
REGISTRY_PASSWORD=$REGISTRY_PASSWORD
REGISTRY_CA=$PKI/ca.crt
S3_ENDPOINT=http://127.0.0.1:$MOTO_PORT
AWS_ENDPOINT_URL=http://127.0.0.1:$MOTO_PORT
AWS_ACCESS_KEY_ID=test
AWS_SECRET_ACCESS_KEY=test
AWS_REGION=us-east-1
AWS_DEFAULT_REGION=us-east-1
DOCKER_HOST=unix://$DOCKER_SOCK
DOCKER_BUILDKIT=0
IMAGE_LOAD=containerd
CONTAINERD_ADDRESS=$CONTAINERD_SOCK
CONTAINERD_NAMESPACE=k8s.io
LOAD_IMAGE=$CLUSTER_DIR/env/load-image.sh
PULUMI_HOME=$STATE/pulumi-home
PULUMI_BACKEND_URL=file://$STATE/pulumi-state
PULUMI_CONFIG_PASSPHRASE=$PULUMI_PASSPHRASE
PULUMI_SKIP_UPDATE_CHECK=true
${pulumi_lines}
PATH=$path_line
EOF
  # pulumi-env.sh may repeat PULUMI_SKIP_UPDATE_CHECK: keep the first of each key.
  awk -F= '/^#/ || NF==0 || !seen[$1]++' "$tmp_env" >"$tmp_env.2" && mv "$tmp_env.2" "$tmp_env"
)
mv "$tmp_env" "$ENV_FILE"

log "environment up in $((SECONDS - t0))s; env file: $ENV_FILE"
log "  kubectl: set -a; source $ENV_FILE; set +a; kubectl get nodes"
