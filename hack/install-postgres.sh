#!/usr/bin/env bash
# Installs the PostgreSQL server binaries that hack/pgtest runs for tests.
#
# pgtest starts its own throwaway servers on random ports, so this script only
# needs the binaries. Debian's package also creates and starts a "main" cluster
# on 5432; that cluster is stopped and set to manual start so that it neither
# holds the port nor uses memory that the tests need.
#
# Safe to run repeatedly: it installs nothing when the binaries are present.
set -euo pipefail

find_initdb() {
	# Highest major version first, the same choice pgtest makes.
	local f
	for f in /usr/lib/postgresql/*/bin/initdb; do
		if [ -x "$f" ]; then
			echo "$f"
		fi
	done | sort -t/ -k5,5n | tail -n1
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "install-postgres: not root and no sudo; install Debian's postgresql package by hand" >&2
		exit 1
	fi
}

# Debian's package starts its cluster through systemd where systemd runs, and
# through its init script (pg_ctlcluster) where it does not, as in containers.
# Both paths are covered, and a cluster that is already down is left alone.
stop_debian_clusters() {
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
		as_root systemctl disable --now --quiet postgresql.service >/dev/null 2>&1 || true
	fi
	command -v pg_lsclusters >/dev/null 2>&1 || return 0
	local version cluster status
	while read -r version cluster _ status _; do
		if [ -f "/etc/postgresql/$version/$cluster/start.conf" ]; then
			echo manual | as_root tee "/etc/postgresql/$version/$cluster/start.conf" >/dev/null
		fi
		if [ "$status" != "down" ]; then
			as_root pg_ctlcluster "$version" "$cluster" stop --mode fast ||
				echo "install-postgres: warning: could not stop Debian cluster $version/$cluster" >&2
		fi
	done < <(pg_lsclusters --no-header 2>/dev/null)
}

action="found"
initdb="$(find_initdb)"
if [ -z "$initdb" ]; then
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "install-postgres: no PostgreSQL under /usr/lib/postgresql and no apt-get to install it" >&2
		exit 1
	fi
	if ! as_root apt-get update -qq >/dev/null; then
		echo "install-postgres: apt-get update failed" >&2
		exit 1
	fi
	if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; then
		echo "install-postgres: apt-get could not install postgresql" >&2
		exit 1
	fi
	action="installed"
	initdb="$(find_initdb)"
	if [ -z "$initdb" ]; then
		echo "install-postgres: postgresql installed but no initdb under /usr/lib/postgresql/*/bin" >&2
		exit 1
	fi
fi

stop_debian_clusters

bindir="$(dirname "$initdb")"
echo "install-postgres: $action $("$bindir/postgres" --version) in $bindir"
