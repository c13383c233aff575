#!/usr/bin/env bash
# Peak memory of `serve` holding N routes: imports N routes of a generated
# open-source Pomerium config into a fresh embedded store, starts serve with
# its embedded databroker (or, with BROKER=pomerium, against Pomerium
# v0.33.0's own dbserver from ../shared/pomerium-v0.33.0), waits until the
# loop has written every record, and their statuses, and prints the time to
# each and the process's peak RSS (VmHWM).
#
# The import of a million routes takes minutes: with STORE_CACHE=DIR the
# imported store is kept in DIR/routes-N and copied from there by the next
# run of the same N (serve writes into its copy, never into DIR). serve
# inherits the environment: GOMEMLIMIT=1300MiB, say, measures it with a
# memory limit, and GOMEMLIMIT=off without one even in a cgroup that has
# one (serve otherwise takes nine tenths of the cgroup's). SERVE_CGROUP=DIR
# starts serve, and only serve, in the cgroup DIR (made and limited
# beforehand, as systemd's MemoryMax= would), and reports the limit serve
# took and the most the cgroup was charged.
set -euo pipefail
n=${1:-100000}
broker=${BROKER:-embedded}
cd "$(dirname "$0")/.."
go build -o bin/pomerium-console ./cmd/pomerium-console
dir=$(mktemp -d)
pid=
dbpid=
# serve goes first, so that it releases its lease while the databroker is
# still there.
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid"; [ -n "$dbpid" ] && kill "$dbpid" 2>/dev/null; rm -rf "$dir"' EXIT
cache=${STORE_CACHE:+$STORE_CACHE/routes-$n}
if [ -n "$cache" ] && [ -d "$cache" ]; then
	cp -a "$cache" "$dir/data"
	echo "bench-serve-rss: $n routes imported before, copied from $cache"
else
	{
		echo "routes:"
		for ((i = 0; i < n; i++)); do
			printf -- "- from: https://app%d.example.com\n  to: http://app%d.internal:8080\n  prefix: /\n  pass_identity_headers: true\n" "$i" "$i"
		done
	} >"$dir/config.yaml"
	start=$(date +%s)
	bin/pomerium-console import --data-dir "$dir/data" --log-level error "$dir/config.yaml" | tail -1
	echo "bench-serve-rss: import of $n routes took $(($(date +%s) - start)) s"
	if [ -n "$cache" ]; then
		mkdir -p "$STORE_CACHE"
		cp -a "$dir/data" "$cache.tmp" && mv "$cache.tmp" "$cache"
	fi
fi
case $broker in
embedded) ;;
pomerium)
	pdir=${POMERIUM_CONSOLE_POMERIUM_DIR:-../shared/pomerium-v0.33.0}
	SHARED_SECRET=$(head -c 32 /dev/urandom | base64 -w0)
	export SHARED_SECRET
	mkfifo "$dir/dbserver.out"
	"$pdir/dbserver" -addr 127.0.0.1:0 -log-level error >"$dir/dbserver.out" 2>"$dir/dbserver.log" &
	dbpid=$!
	read -r _ _ addr <"$dir/dbserver.out"
	export DATABROKER_SERVICE_URL="http://$addr"
	echo "bench-serve-rss: Pomerium's dbserver at $addr"
	;;
*)
	echo "bench-serve-rss: BROKER=$broker is not embedded or pomerium" >&2
	exit 2
	;;
esac
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start=$(date +%s.%N)
serve=(bin/pomerium-console serve --data-dir "$dir/data" --metrics-addr "127.0.0.1:$port" --grpc-addr 127.0.0.1:0 --bind-addr 127.0.0.1:0 --log-level error)
if [ -n "${SERVE_CGROUP:-}" ]; then
	# The shell moves itself into the cgroup, then becomes serve.
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$SERVE_CGROUP" "${serve[@]}" &
else
	"${serve[@]}" &
fi
pid=$!
deadline=$((SECONDS + 1800))
# metric prints the value of a metric, with or without labels.
metric() {
	curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null | awk -v m="$1" '$1 == m || index($1, m "{") == 1 {print $2; exit}'
}
until awk -v v="$(metric pomerium_console_reconcile_view_records)" -v n="$n" 'BEGIN {exit !(v != "" && v >= n)}'; do
	if ((SECONDS > deadline)) || ! kill -0 "$pid" 2>/dev/null; then
		echo "bench-serve-rss: serve did not write $n records" >&2
		exit 1
	fi
	sleep 0.2
done
synced=$(python3 -c "import time; print(round(time.time() - $start, 1))")
echo "bench-serve-rss: serve ($broker databroker) wrote $n route records in ${synced} s (start-up included)"
# The pass that wrote the records goes on to write their statuses: the peak
# counts only once it has finished.
until awk -v v="$(metric pomerium_console_reconcile_last_success_timestamp_seconds)" 'BEGIN {exit !(v != "" && v > 0)}'; do
	if ((SECONDS > deadline)) || ! kill -0 "$pid" 2>/dev/null; then
		echo "bench-serve-rss: serve did not finish its first pass" >&2
		exit 1
	fi
	sleep 0.2
done
done_at=$(python3 -c "import time; print(round(time.time() - $start, 1))")
echo "bench-serve-rss: first pass done (statuses written) in ${done_at} s"
grep -E 'VmHWM|VmRSS' "/proc/$pid/status" | sed 's/^/bench-serve-rss: /'
echo "bench-serve-rss: go_gc_gomemlimit_bytes $(metric go_gc_gomemlimit_bytes)"
if [ -n "${SERVE_CGROUP:-}" ]; then
	for f in memory.max_usage_in_bytes memory.peak; do
		if [ -r "$SERVE_CGROUP/$f" ]; then echo "bench-serve-rss: cgroup $f $(cat "$SERVE_CGROUP/$f")"; fi
	done
fi
