#!/usr/bin/env bash
# local-path-provisioner (github.com/rancher/local-path-provisioner Go module), the provisioner of kind's
# default StorageClass; env/up.sh runs it on the host. `go install module@version` builds it with the
# dependency versions of its own go.mod/go.sum, as upstream does (module zips carry no vendor folder).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

v=$LOCAL_PATH_PROVISIONER_VERSION
out=$(cache_dir local-path-provisioner "$v" "$(go env GOVERSION)" "$(sha256sum <"${BASH_SOURCE[0]}")")
if [[ -x "$out/bin/local-path-provisioner" ]]; then
  log "local-path-provisioner $v: reusing $out/bin/local-path-provisioner"
else
  log "building local-path-provisioner $v"
  tmp="$out.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp/bin"
  (cd "$TOOLCHAIN_ROOT" && CGO_ENABLED=0 GOBIN="$tmp/bin" go install -trimpath -ldflags "-s -w" \
    "github.com/rancher/local-path-provisioner@$v")
  rm -rf "$out"; mv "$tmp" "$out"
fi
# (Its --version prints a constant 0.0.1 in every release: the module version above is the one that counts.)
log "local-path-provisioner $v in $out/bin/local-path-provisioner"
# env/up.sh finds this build through this pointer.
mkdir -p "$TOOLCHAIN_ROOT/builtin-cluster-paths" && printf '%s\n' "$out" > "$TOOLCHAIN_ROOT/builtin-cluster-paths/local-path-provisioner"
