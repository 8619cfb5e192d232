#!/usr/bin/env bash
# Root filesystems for the locally made base images (nothing can be pulled here):
#   busybox.tar  — Debian's busybox (glibc build, with the few libraries it links) and its applets,
#                  imported as busybox:latest (like upstream's busybox:glibc: name lookups go through
#                  glibc's resolver). Note: Debian's busybox 1.35 `wget -T N` segfaults; omit -T.
#   pause.tar    — a tiny static pause process (C, gcc -static), the kubelet's sandbox image
#   debian.tar   — a minbase debootstrap of bookworm, imported as debian:bookworm-slim (optional:
#                  skipped with TESTENV_SKIP_DEBIAN=1 or when debootstrap fails)
# env/up.sh imports them with `docker import` / `ctr import`.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

bb_ver=$(apt-cache policy busybox | sed -n 's/^ *Candidate: *//p')
[[ -n $bb_ver && $bb_ver != "(none)" ]] || die "no busybox package candidate (apt-get update?)"
out=$(cache_dir base-rootfs "$bb_ver" "$(sha256sum < "${BASH_SOURCE[0]}")")
mkdir -p "$out"

if [[ ! -s "$out/pause.tar" ]]; then
  log "building static pause"
  d=$(mktemp -d)
  cat > "$d/pause.c" <<'C'
/* Holds a pod's namespaces: sleeps until SIGINT/SIGTERM, reaps children. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static void stop(int sig) { (void)sig; _exit(0); }
static void reap(int sig) { (void)sig; while (waitpid(-1, NULL, WNOHANG) > 0) {} }
int main(void) {
  struct sigaction s = {0}, r = {0};
  s.sa_handler = stop; sigaction(SIGINT, &s, NULL); sigaction(SIGTERM, &s, NULL);
  r.sa_handler = reap; r.sa_flags = SA_NOCLDSTOP; sigaction(SIGCHLD, &r, NULL);
  for (;;) pause();
  return 1;
}
C
  gcc -static -Os -s -o "$d/pause" "$d/pause.c"
  tar -C "$d" --owner=0 --group=0 -cf "$out/pause.tar.tmp" pause && mv "$out/pause.tar.tmp" "$out/pause.tar"
  rm -rf "$d"
fi

if [[ ! -s "$out/busybox.tar" ]]; then
  log "making busybox rootfs from Debian busybox $bb_ver"
  d=$(mktemp -d)
  (cd "$d" && apt-get download -q "busybox=$bb_ver" >/dev/null 2>&1) || die "apt-get download busybox failed"
  dpkg-deb -x "$d"/busybox_*.deb "$d/deb"
  r="$d/root"
  mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,var/www,home,proc,sys,dev}
  chmod 1777 "$r/tmp"
  cp "$d/deb/bin/busybox" "$r/bin/busybox"
  # The shared libraries it links (libc, libresolv, the loader), at the same paths.
  for lib in $(ldd "$r/bin/busybox" | grep -oE '/[^ ]+\.so[^ ]*'); do
    mkdir -p "$r$(dirname "$lib")"
    cp -L "$lib" "$r$lib"
  done
  for a in $("$r/bin/busybox" --list-full); do
    [[ -e "$r/$a" || -L "$r/$a" ]] || ln -s /bin/busybox "$r/$a"
  done
  printf 'hosts: files dns\n' > "$r/etc/nsswitch.conf"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' > "$r/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' > "$r/etc/group"
  tar -C "$r" --owner=0 --group=0 -cf "$out/busybox.tar.tmp" . && mv "$out/busybox.tar.tmp" "$out/busybox.tar"
  rm -rf "$d"
fi

if [[ ! -s "$out/debian.tar" && "${TESTENV_SKIP_DEBIAN:-0}" != 1 ]]; then
  # The Debian mirror apt already uses here (no other host is reachable).
  mirror=$(grep -rhoE '(URIs:|^deb) *https?://[^ ]*/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
    | grep -oE 'https?://[^ ]*' | head -1 || true)
  if command -v debootstrap >/dev/null && [[ -n "$mirror" ]]; then
    log "debootstrap --variant=minbase bookworm (debian:bookworm-slim stand-in)"
    d=$(mktemp -d)
    if debootstrap --variant=minbase bookworm "$d/root" "$mirror" > "$out/debootstrap.log" 2>&1; then
      rm -rf "$d/root"/var/cache/apt/archives/*.deb "$d/root"/var/lib/apt/lists/*
      tar -C "$d/root" --numeric-owner -cf "$out/debian.tar.tmp" . && mv "$out/debian.tar.tmp" "$out/debian.tar"
    else
      log "debootstrap failed (see $out/debootstrap.log): no debian:bookworm-slim image"
    fi
    rm -rf "$d"
  else
    log "no debootstrap or no Debian mirror in apt sources: no debian:bookworm-slim image"
  fi
fi
ls -la "$out"/*.tar >&2
log "base rootfs tarballs in $out"
# env/up.sh finds this build through this pointer.
mkdir -p "$TOOLCHAIN_ROOT/builtin-cluster-paths" && printf '%s\n' "$out" > "$TOOLCHAIN_ROOT/builtin-cluster-paths/base-rootfs"
