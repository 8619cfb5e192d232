#!/usr/bin/env bash
# Builds a kind node image for Kubernetes $KUBERNETES_VERSION from what this machine's registries serve, since
# kindest/node cannot be pulled: reporunner/kind-node:$KUBERNETES_VERSION in the test environment's dockerd.
# Needs root (chroot), `npm run setup` (the kubernetes, etcd, kube-router, base-rootfs, local-path-provisioner,
# kubeadm, crictl and coredns-kind builds) and `npm run env:up` (dockerd, DOCKER_HOST in .builtin-cluster/env).
# Reuses the image when its inputs have not changed. Only the image is made here: every Go build it takes is
# setup's, so that setup builds them alongside the rest and this waits only for Docker.
#
# What goes in, following kind v0.33.0's images/base/Dockerfile and pkg/build/nodeimage:
#   - Debian bookworm (the debian:bookworm-slim image up.sh makes) + systemd, containerd 1.6, runc, the CNI
#     plugins, iptables/nftables/conntrack/... from Debian's mirror (apt-get in a chroot)
#   - kind's files/ (entrypoint, systemd units, containerd config, /kind/bin) from the kind module
#   - kubelet, kubectl (build/20-kubernetes.sh), kubeadm (build/41-kubeadm.sh), crictl (build/42-crictl.sh),
#     /kind/version
#   - control-plane images, imported into the node's containerd under the names kubeadm asks for
#     (registry.k8s.io/...): kube-apiserver, -controller-manager, -scheduler, -proxy, etcd, coredns
#     (build/43-coredns-kind.sh), pause
#   - /kind/manifests/default-cni.yaml = kube-router (node/default-cni.yaml) and its image
#   - /kind/manifests/default-storage.yaml = kind's own local-path-provisioner manifest (pkg/build/nodeimage/
#     const_storage.go) on our build of it (build/27-local-path-provisioner.sh), its helper on the tools image:
#     without it kind falls back to the in-tree host-path provisioner, whose volumes are root-only folders
#     made on the control plane, which a non-root service (Kafka) on the worker cannot write
#   - /usr/local/bin/unpriv-fixup ahead of kind's entrypoint: see bin/docker for why the nodes are not privileged
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
[[ $(id -u) == 0 ]] || die "needs root (chroot, apt-get)"
ENV_FILE="$PROJECT_DIR/.builtin-cluster/env"
[[ -n "${DOCKER_HOST:-}" ]] || { [[ -f $ENV_FILE ]] && set -a && source "$ENV_FILE" && set +a; }
[[ -n "${DOCKER_HOST:-}" ]] || die "no DOCKER_HOST: run 'npm run env:up' first"

KIND_VERSION=${KIND_VERSION:-v0.33.0}
HERE="$CLUSTER_DIR/kind"
# ptr BUILD → the folder of a setup build (builtin-cluster/build/*-BUILD.sh), or fail saying to run setup.
# One assignment a line: in `A=$(ptr a) B=$(ptr b)` set -e sees only the last one fail.
ptr() {
  local f="$TOOLCHAIN_ROOT/builtin-cluster-paths/$1"
  [[ -f $f && -d $(cat "$f") ]] || die "$1 not built: run npm run setup"
  cat "$f"
}
K8S=$(ptr kubernetes)/bin
ETCD=$(ptr etcd)/bin/etcd
KROUTER=$(ptr kube-router)/bin/kube-router
BASE=$(ptr base-rootfs)
LPP=$(ptr local-path-provisioner)/bin/local-path-provisioner
KUBEADM=$(ptr kubeadm)/bin/kubeadm
CRICTL=$(ptr crictl)/bin/crictl
COREDNS=$(ptr coredns-kind)/bin/coredns
kind_src=$(go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
[[ -d $kind_src/images/base/files ]] || die "kind $KIND_VERSION source not found"

# --- the image, keyed by everything above ------------------------------------------------------------------
images=$("$KUBEADM" config images list --kubernetes-version "$KUBERNETES_VERSION")
img_of() { grep -E "/$1:" <<<"$images"; }
key=$( { cat "${BASH_SOURCE[0]}" "$HERE"/node/*; sha256sum "$K8S"/* "$ETCD" "$KROUTER" "$LPP" "$BASE/pause.tar" "$KUBEADM" \
  "$CRICTL" "$COREDNS"; echo "$KIND_VERSION $images"; docker image inspect -f '{{.Id}}' debian:bookworm-slim; } \
  | sha256sum | cut -c1-12)
IMAGE=reporunner/kind-node:$KUBERNETES_VERSION
if [[ $(docker image inspect -f '{{index .Config.Labels "reporunner.kind-node.key"}}' "$IMAGE" 2>/dev/null) == "$key" ]]; then
  log "kind node image $IMAGE ($key): reusing"; exit 0
fi
work=$(mktemp -d /tmp/kind-node.XXXXXX)
cleanup() {
  mountpoint -q "$work/rootfs/proc" && umount "$work/rootfs/proc"
  docker rm -f "kind-node-build-$$" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
started=$SECONDS

log "node rootfs: debian:bookworm-slim + Debian packages (apt-get in a chroot)"
R=$work/rootfs; mkdir -p "$R"
cid=$(docker create debian:bookworm-slim true); docker export "$cid" | tar -C "$R" -xf -; docker rm "$cid" >/dev/null
cp /etc/resolv.conf "$R/etc/resolv.conf"
mount -t proc proc "$R/proc"
chroot "$R" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  systemd systemd-sysv dbus containerd runc containernetworking-plugins conntrack iptables nftables iproute2 ethtool \
  util-linux mount kmod libseccomp2 pigz bash ca-certificates curl jq procps socat ebtables >/dev/null'
# kind's base image layout (images/base/Dockerfile)
F=$kind_src/images/base/files
install -m 0755 "$F"/usr/local/bin/* "$R/usr/local/bin/"
mkdir -p "$R/kind/bin" "$R/kind/manifests" "$R/etc/containerd" "$R/etc/default" "$R/etc/sysctl.d" \
  "$R/etc/systemd/system/kubelet.service.d" "$R/etc/kubernetes/manifests" "$R/opt/cni/bin"
install -m 0644 "$F/kind/README.txt" "$R/kind/"; install -m 0755 "$F"/kind/bin/* "$R/kind/bin/"
install -m 0644 "$F/etc/crictl.yaml" "$R/etc/"
install -m 0644 "$F"/etc/containerd/* "$R/etc/containerd/"
install -m 0644 "$F"/etc/default/* "$R/etc/default/"
install -m 0644 "$F"/etc/sysctl.d/* "$R/etc/sysctl.d/"
install -m 0644 "$F"/etc/systemd/system/*.service "$F"/etc/systemd/system/*.slice "$R/etc/systemd/system/"
install -m 0644 "$F"/etc/systemd/system/kubelet.service.d/* "$R/etc/systemd/system/kubelet.service.d/"
ln -sf /usr/bin/containerd "$R/usr/local/bin/containerd" # kind's unit runs /usr/local/bin/containerd
cp -a "$R/usr/lib/cni/." "$R/opt/cni/bin/"
find "$R/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
rm -f "$R"/lib/systemd/system/multi-user.target.wants/* "$R"/etc/systemd/system/*.wants/* \
  "$R"/lib/systemd/system/local-fs.target.wants/* "$R"/lib/systemd/system/sockets.target.wants/*udev* \
  "$R"/lib/systemd/system/sockets.target.wants/*initctl* "$R"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >>"$R/etc/systemd/journald.conf"
ln -sf /usr/lib/systemd/systemd "$R/sbin/init"
chroot "$R" systemctl enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
chroot "$R" systemctl mask systemd-binfmt.service >/dev/null 2>&1
chroot "$R" ctr oci spec | jq '.hooks.createContainer[.hooks.createContainer| length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
  | jq 'del(.process.rlimits)' >"$R/etc/containerd/cri-base.json"
pause_img=$(img_of pause)
sed -i "s#sandbox_image = .*#sandbox_image = \"$pause_img\"#" "$R/etc/containerd/config.toml"
install -m 0755 "$K8S/kubelet" "$K8S/kubectl" "$KUBEADM" "$R/usr/bin/"
install -m 0755 "$CRICTL" "$R/usr/local/bin/"
install -m 0755 "$HERE/node/unpriv-fixup" "$R/usr/local/bin/"
install -m 0644 "$HERE/node/default-cni.yaml" "$R/kind/manifests/default-cni.yaml"
echo -n "$KUBERNETES_VERSION" >"$R/kind/version"
LPP_IMAGE=localhost/reporunner/kind-local-path-provisioner:$LOCAL_PATH_PROVISIONER_VERSION
LPP_HELPER=localhost/reporunner/kind-local-path-helper:$KUBERNETES_VERSION
# kind's manifest, as kind's node-image build writes it, with our two images
awk '/^const defaultStorageManifest = `/{on=1; next} on && /^`$/{exit} on' \
  "$kind_src/pkg/build/nodeimage/const_storage.go" |
  sed -e "s#\` + storageProvisionerImage + \`#$LPP_IMAGE#" -e "s#\` + storageHelperImage + \`#$LPP_HELPER#" \
  >"$R/kind/manifests/default-storage.yaml"
grep -q "image: $LPP_IMAGE" "$R/kind/manifests/default-storage.yaml" || die "kind's storage manifest changed shape"
umount "$R/proc"
rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin "$R"/var/cache/apt/archives/*.deb
: >"$R/etc/machine-id"

log "control-plane images"
# kube-proxy and kube-router exec iptables/ipset: a bookworm-slim with those; the rest are static binaries.
T=$work/tools; mkdir -p "$T"
cid=$(docker create debian:bookworm-slim true); docker export "$cid" | tar -C "$T" -xf -; docker rm "$cid" >/dev/null
cp /etc/resolv.conf "$T/etc/resolv.conf"; mount -t proc proc "$T/proc"
chroot "$T" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  iptables ipset conntrack kmod >/dev/null; rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin'
umount "$T/proc"
install -m 0755 "$K8S/kube-proxy" "$KROUTER" "$T/usr/local/bin/"
P=localhost/reporunner/kind-build
tar -C "$T" -c . | docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$P/tools:$key" >/dev/null
scratch_image() { # NAME BINARY PATH-IN-IMAGE
  local d=$work/img-$1; mkdir -p "$d"; cp "$2" "$d/bin"
  printf 'FROM scratch\nCOPY bin %s\nENV PATH=/usr/local/bin:/\nENTRYPOINT ["%s"]\n' "$3" "$3" >"$d/Dockerfile"
  docker build -q -t "$P/$1:$key" "$d" >/dev/null
}
for c in kube-apiserver kube-controller-manager kube-scheduler; do scratch_image "$c" "$K8S/$c" "/usr/local/bin/$c"; done
scratch_image etcd "$ETCD" /usr/local/bin/etcd
scratch_image coredns "$COREDNS" /coredns
mkdir -p "$work/pause" && tar -C "$work/pause" -xf "$BASE/pause.tar"
scratch_image pause "$work/pause/pause" /pause
scratch_image local-path-provisioner "$LPP" /usr/local/bin/local-path-provisioner
declare -A target=(
  [kube-apiserver]=$(img_of kube-apiserver) [kube-controller-manager]=$(img_of kube-controller-manager)
  [kube-scheduler]=$(img_of kube-scheduler) [etcd]=$(img_of etcd) [coredns]=$(img_of coredns) [pause]=$pause_img
  [local-path-provisioner]=$LPP_IMAGE
  [tools]="$(img_of kube-proxy) localhost/reporunner/kind-kube-router:$KUBE_ROUTER_VERSION $LPP_HELPER")

log "importing them into the node's containerd"
tar -C "$R" -c . | docker import -c 'ENV container=docker' \
  -c 'ENTRYPOINT ["/usr/local/bin/unpriv-fixup", "/usr/local/bin/entrypoint", "/sbin/init"]' - "$P/node-base:$key" >/dev/null
b=kind-node-build-$$
# as kind's node-image build does, but not privileged (bin/docker) and without the /var volume, so the
# imported images land in the committed image
docker run -d --name "$b" --init=false --cgroupns=private --cap-add ALL --cap-drop SYS_RESOURCE \
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined \
  --device-cgroup-rule 'a *:* rwm' --tmpfs /tmp --tmpfs /run -v /lib/modules:/lib/modules:ro --tty "$P/node-base:$key" >/dev/null
for _ in $(seq 60); do docker exec "$b" ctr version >/dev/null 2>&1 && break; sleep 1; done
srcs=()
for n in "${!target[@]}"; do srcs+=("$P/$n:$key"); done
docker save "${srcs[@]}" | docker exec -i "$b" ctr -n k8s.io images import - >/dev/null
for n in "${!target[@]}"; do
  for t in ${target[$n]}; do docker exec "$b" ctr -n k8s.io images tag --force "$P/$n:$key" "$t" >/dev/null; done
  docker exec "$b" ctr -n k8s.io images rm "$P/$n:$key" >/dev/null
done
docker exec "$b" sh -c 'systemctl stop containerd; cd /kind; rm -f product_uuid product_name old-ipv4 old-ipv6 fake-cgroups; : >/etc/machine-id'
docker commit -c 'ENTRYPOINT ["/usr/local/bin/unpriv-fixup", "/usr/local/bin/entrypoint", "/sbin/init"]' -c 'ENV container=docker' \
  "$b" "$P/node-committed:$key" >/dev/null
old=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
printf 'FROM %s\nSTOPSIGNAL SIGRTMIN+3\nLABEL reporunner.kind-node.key=%s\n' "$P/node-committed:$key" "$key" |
  docker build -q -t "$IMAGE" - >/dev/null
docker rm -f "$b" >/dev/null
docker rmi "${srcs[@]}" "$P/node-base:$key" "$P/node-committed:$key" $old >/dev/null 2>&1 || true
log "kind node image $IMAGE ($key) built in $((SECONDS - started))s: $(docker image inspect -f '{{.Size}}' "$IMAGE" | numfmt --to=iec)"
