#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium, which the web console's
# browser tests drive (server/web/e2e), and a font for readable screenshots.
# Safe to run repeatedly: it installs nothing when chromium is present.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
	exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
	as_root=()
elif command -v sudo >/dev/null 2>&1; then
	as_root=(sudo)
else
	echo "install-chromium: not root and no sudo; install Debian's chromium package by hand" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
chromium --version
