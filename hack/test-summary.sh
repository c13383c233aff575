#!/usr/bin/env bash
# Reads `go test -v` output on stdin and prints one line per test and the
# package results, so a CI log names every test that ran (including the
# PostgreSQL ones) without the noise of passing tests' logs. Failing tests
# keep their full output. The exit status is go test's.
set -uo pipefail
log=$(mktemp)
trap 'rm -f "$log"' EXIT
tee "$log" | grep -E --line-buffered '^(--- (PASS|FAIL|SKIP)|ok |FAIL|PASS$|panic:|\s+--- (PASS|FAIL|SKIP))' || true
pass=$(grep -cE '^\s*--- PASS' "$log" || true)
fail=$(grep -cE '^\s*--- FAIL' "$log" || true)
skip=$(grep -cE '^\s*--- SKIP' "$log" || true)
if [ "$fail" -gt 0 ] || grep -qE '^(FAIL|panic:)' "$log"; then
	echo
	echo "==== output of failing tests ===="
	awk '/^=== RUN/{buf=""} {buf=buf $0 "\n"} /^\s*--- FAIL/{printf "%s", buf; buf=""}' "$log"
	grep -E -A30 '^panic:' "$log" || true
	echo "tests: $pass passed, $fail failed, $skip skipped"
	exit 1
fi
# The shared secrets of the clusters the tests add start with
# "never-shown-cluster-secret-": none may show in anything the console
# logs or answers, so none may show in the run's output, raw, in base64 or
# in hex.
secrets='never-shown-cluster-secret-|bmV2ZXItc2hvd24tY2x1c3Rlci1zZWNyZXQt|6e657665722d73686f776e2d636c75737465722d7365637265742d'
if grep -nE "$secrets" "$log"; then
	echo "a cluster's shared secret shows in the output of the tests (the lines above)"
	echo "tests: $pass passed, $fail failed, $skip skipped"
	exit 1
fi
echo "tests: $pass passed, $fail failed, $skip skipped"
