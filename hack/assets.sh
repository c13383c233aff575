#!/usr/bin/env bash
# Fetches the pinned browser scripts with npm, by the lockfile in
# server/web/npm, and puts them where the build embeds them (htmx) and the
# browser tests inject them (axe-core). Both destinations are ignored by git.
# A second run with the same lockfile does not touch the network.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
npm_dir="$root/server/web/npm"
cd "$npm_dir"
if ! command -v npm >/dev/null; then
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
		echo "assets: installing npm from Debian packages"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq && apt-get install -y -qq --no-install-recommends npm >/dev/null
	else
		echo "assets: npm is missing: install it (Debian: apt-get install npm)" >&2
		exit 1
	fi
fi
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp=node_modules/.package-lock.sha256
if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	echo "$want" >"$stamp"
fi
install -D -m 0644 node_modules/htmx.org/dist/htmx.min.js "$root/server/web/static/vendor/htmx.min.js"
install -D -m 0644 node_modules/axe-core/axe.min.js "$root/server/web/e2e/testdata/vendor/axe.min.js"
