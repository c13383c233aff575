#!/usr/bin/env bash
# Peak memory of `serve` holding N routes: imports N routes of a generated
# open-source Pomerium config into a fresh embedded store, starts serve with
# its embedded databroker, waits until the loop has written every record,
# and its statuses, and prints the process's peak RSS (VmHWM).
set -euo pipefail
n=${1:-100000}
cd "$(dirname "$0")/.."
go build -o bin/pomerium-console ./cmd/pomerium-console
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
{
	echo "routes:"
	for ((i = 0; i < n; i++)); do
		printf -- "- from: https://app%d.example.com\n  to: http://app%d.internal:8080\n  prefix: /\n  pass_identity_headers: true\n" "$i" "$i"
	done
} >"$dir/config.yaml"
start=$(date +%s)
bin/pomerium-console import --data-dir "$dir/data" --log-level error "$dir/config.yaml" | tail -1
echo "bench-serve-rss: import of $n routes took $(($(date +%s) - start)) s"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start=$(date +%s.%N)
bin/pomerium-console serve --data-dir "$dir/data" --metrics-addr "127.0.0.1:$port" --grpc-addr 127.0.0.1:0 --bind-addr 127.0.0.1:0 --log-level error &
pid=$!
deadline=$((SECONDS + 900))
until curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null | awk -v n="$n" '$1 == "pomerium_console_reconcile_view_records" && $2 >= n {found=1} END {exit !found}'; do
	if ((SECONDS > deadline)) || ! kill -0 "$pid" 2>/dev/null; then
		echo "bench-serve-rss: serve did not write $n records" >&2
		exit 1
	fi
	sleep 0.2
done
synced=$(python3 -c "import time; print(round(time.time() - $start, 1))")
echo "bench-serve-rss: serve wrote $n route records in ${synced} s (start-up included)"
# The pass that wrote the records goes on to write their statuses: the peak
# counts only once it has finished.
until curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null | awk '$1 == "pomerium_console_reconcile_last_success_timestamp_seconds" && $2 > 0 {found=1} END {exit !found}'; do
	if ((SECONDS > deadline)) || ! kill -0 "$pid" 2>/dev/null; then
		echo "bench-serve-rss: serve did not finish its first pass" >&2
		exit 1
	fi
	sleep 0.2
done
grep -E 'VmHWM|VmRSS' "/proc/$pid/status" | sed 's/^/bench-serve-rss: /'
