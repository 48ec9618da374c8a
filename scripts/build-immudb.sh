#!/usr/bin/env bash
# Builds the immudb server from the Go module proxy into a cache outside the repository, keyed by
# version, and prints the binary's path. Reuses the binary when it is already there.
# immudb is BUSL-1.1 since 1.9DOM.2: nothing of it is vendored or committed; the build happens in a
# temporary wrapper module (immudb's go.mod has replace directives, so `go install pkg@v` refuses).
set -euo pipefail

version="${IMMUDB_VERSION:-1.11.1}"
commit="${IMMUDB_COMMIT:-37ebcefe4ebb38248bdb90a7d7e5babf7cf7d97f}"
cache="${IMMUDB_TS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/immudb-ts}"
out="$cache/immudb-$version/immudb"

if [ -x "$out" ] && "$out" version >/dev/null 2>&1; then
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { echo "build-immudb: the Go toolchain (>= 1.25) is needed to build immudb $version" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/go.mod" <<MOD
module example.com/immudbserver

go 1.25.0

require github.com/codenotary/immudb v$version

replace github.com/takama/daemon v0.12.0 => github.com/codenotary/daemon v0.0.0-20200507161650-3d4bcb5230f4

replace github.com/spf13/afero => github.com/spf13/afero v1.5.1
MOD
cat >"$work/main.go" <<'GO'
package main

import immudb "github.com/codenotary/immudb/cmd/immudb/command"

func main() {
	immudb.Execute()
}
GO

echo "build-immudb: building immudb $version (first time only; a few minutes)" >&2
cd "$work"
export GOWORK=off GOFLAGS=-mod=mod
go mod tidy >&2
mkdir -p "$(dirname "$out")"
CGO_ENABLED=0 go build -trimpath -o "$out.tmp" \
  -ldflags "-s -X github.com/codenotary/immudb/cmd/version.Version=$version \
            -X github.com/codenotary/immudb/cmd/version.Commit=$commit \
            -X github.com/codenotary/immudb/cmd/version.BuiltAt=$(date +%s) \
            -X github.com/codenotary/immudb/cmd/version.Static=static" . >&2
mv "$out.tmp" "$out"
"$out" version >&2
echo "$out"
