#!/usr/bin/env bash
# Builds govulncheck's vulnerability database as files, from the Go
# vulnerability database's own repository (golang.org/x/vulndb) at a pinned
# version, which the Go module proxy serves: no vuln.go.dev needed. Usage:
# hack/vulndb.sh VERSION OUT. Nothing to do when OUT holds it already.
set -euo pipefail
version=$1
out=$2
if [ -f "$out/index/db.json" ]; then
	exit 0
fi
dir=$(go mod download -json "golang.org/x/vulndb@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$dir" ]; then
	echo "vulndb: golang.org/x/vulndb@$version was not downloaded" >&2
	exit 1
fi
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d "$out.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "vulndb: indexing $(find "$dir/data/osv" -name '*.json' | wc -l) advisories of golang.org/x/vulndb@$version"
(cd "$dir" && go run ./cmd/indexdb -vulns "$dir/data/osv" -out "$tmp")
mv "$tmp" "$out"
trap - EXIT
