#!/usr/bin/env bash
# The NetworkPolicy enforcer: kube-router (github.com/cloudnativelabs/kube-router/v2 Go module), of which
# env/up.sh runs only the network policy controller, on the host. Also the Debian packages it and the
# node's egress guard call: ipset (kube-router execs it) and nftables (the guard, see env/up.sh).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

missing=()
for p in ipset nftables; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  [[ $(id -u) == 0 ]] || die "need root to apt-get install ${missing[*]}"
  # No service may start on install (up.sh owns the rules).
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
for p in ipset nftables; do printf '  %-28s %s\n' "$p" "$(dpkg-query -W -f='${Version}' "$p")" >&2; done

v=$KUBE_ROUTER_VERSION
out=$(cache_dir kube-router "$v" "$(go env GOVERSION)" "$(sha256sum <"${BASH_SOURCE[0]}")")
if [[ -x "$out/bin/kube-router" ]]; then
  log "kube-router $v: reusing $out/bin/kube-router"
else
  log "building kube-router $v"
  tmp="$out.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp/bin"
  # `go install module@version`: the dependency versions of its own go.mod, as upstream builds it.
  (cd "$TOOLCHAIN_ROOT" && CGO_ENABLED=0 GOBIN="$tmp/bin" go install -trimpath \
    -ldflags "-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$v" \
    "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$v")
  rm -rf "$out"; mv "$tmp" "$out"
fi
log "$("$out/bin/kube-router" --version 2>&1 | head -1 || true)"
log "kube-router $v in $out/bin/kube-router"
# env/up.sh finds this build through this pointer.
mkdir -p "$TOOLCHAIN_ROOT/builtin-cluster-paths" && printf '%s\n' "$out" > "$TOOLCHAIN_ROOT/builtin-cluster-paths/kube-router"
