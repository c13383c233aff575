#!/usr/bin/env bash
# Time and peak memory of `import` at each size given (routes; default
# 100000): generates an open-source Pomerium config of that many routes,
# each with an access rule (so a policy too: two objects a route), imports
# it into a fresh embedded store, then imports it again (nothing to write),
# and prints the wall time and peak RSS of each, as GNU time measures them.
# The embedded store's file lives in a temporary directory (TMPDIR).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x /usr/bin/time ]]; then
	echo "bench-import: needs GNU time (Debian: apt-get install time)" >&2
	exit 1
fi
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(100000)
go build -o bin/pomerium-console ./cmd/pomerium-console
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
measure() { # label, then the command
	local label=$1
	shift
	/usr/bin/time -f '%e %M' -o "$dir/time" "$@" >"$dir/out"
	read -r seconds kib <"$dir/time"
	printf 'bench-import: %-32s %8.1f s %8d MiB peak RSS   (%s)\n' "$label" "$seconds" $((kib / 1024)) "$(tail -1 "$dir/out")"
}
for n in "${sizes[@]}"; do
	awk -v n="$n" 'BEGIN {
		print "routes:"
		for (i = 0; i < n; i++)
			printf "- from: https://app%d.example.com\n  to: http://app%d.internal:8080\n  pass_identity_headers: true\n  allowed_domains: [example.com]\n", i, i
	}' >"$dir/config.yaml"
	rm -rf "$dir/data"
	measure "import of $n routes" bin/pomerium-console import --data-dir "$dir/data" --log-level error "$dir/config.yaml"
	measure "import of $n routes again" bin/pomerium-console import --data-dir "$dir/data" --log-level error "$dir/config.yaml"
done
