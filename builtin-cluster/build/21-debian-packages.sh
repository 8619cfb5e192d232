#!/usr/bin/env bash
# Debian packages the test environment runs: container runtime, Docker, registry, Redis, nginx (the
# preview gateway's stand-in image), network tools, and Maven (it resolves the Kafka stand-in's jars).
# Installs only what is missing (root needed then); prints the version of each.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pkgs=(docker.io containerd runc containernetworking-plugins docker-registry redis-server nginx-light
  iproute2 iptables conntrack socat ethtool apache2-utils openssl busybox-static
  python3-venv ca-certificates gcc libc6-dev curl kmod procps psmisc debootstrap maven)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  [[ $(id -u) == 0 ]] || die "need root to apt-get install ${missing[*]}"
  # Services must not start on install (no systemd here anyway); up.sh starts them itself.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
for p in "${pkgs[@]}"; do
  printf '  %-28s %s\n' "$p" "$(dpkg-query -W -f='${Version}' "$p")" >&2
done
log "debian packages present (system-wide, /usr/bin and /usr/lib/cni)"
