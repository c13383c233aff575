#!/usr/bin/env bash
# Installs Debian packages for the hack/install-*.sh scripts: as root, or
# through sudo, quietly and without recommended packages.
# Usage: hack/apt-install.sh CALLER PACKAGE... (CALLER names the script in
# messages).
set -euo pipefail
caller=$1
shift
if [ "$(id -u)" -eq 0 ]; then
	as_root=()
elif command -v sudo >/dev/null 2>&1; then
	as_root=(sudo)
else
	echo "$caller: not root and no sudo; install Debian's $* by hand" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
echo "$caller: installed $*"
