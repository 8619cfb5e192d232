#!/usr/bin/env bash
# Builds the OpenTofu CLI from its Go module (no binary download), into
#   ${REPORUNNER_CACHE:-~/.cache/reporunner}/opentofu/<version>/bin/tofu
# and prints the binary's path. `go install module@version` refuses OpenTofu's go.mod (it has a
# replace directive), so the module's source is fetched with `go mod download` and built as the main
# module. Takes about 8 minutes on 2 cores; a second call returns at once.
set -euo pipefail
VERSION=${OPENTOFU_VERSION:-v1.10.10}
OUT="${REPORUNNER_CACHE:-$HOME/.cache/reporunner}/opentofu/$VERSION/bin"
if [[ -x $OUT/tofu ]]; then echo "$OUT/tofu"; exit 0; fi
command -v go >/dev/null || { echo "go is needed to build OpenTofu" >&2; exit 1; }
src=$(go mod download -json "github.com/opentofu/opentofu@$VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[[ -d $src ]] || { echo "go mod download found no source for github.com/opentofu/opentofu@$VERSION" >&2; exit 1; }
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$src" "$work/opentofu"
chmod -R u+w "$work/opentofu"
mkdir -p "$OUT"
(cd "$work/opentofu" && GOFLAGS="-buildvcs=false -mod=mod" go build -p "${GO_BUILD_JOBS:-1}" -o "$OUT/tofu.tmp" ./cmd/tofu) >&2
mv "$OUT/tofu.tmp" "$OUT/tofu"
echo "$OUT/tofu"
