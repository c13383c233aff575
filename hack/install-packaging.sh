#!/usr/bin/env bash
# Installs what the package tests (config/packaging) use to install and read
# the .deb and .rpm packages: dpkg (always on Debian), systemd's
# systemd-analyze, systemd-sysusers and systemd-tmpfiles, and rpm.
# Safe to run repeatedly: it installs nothing when every tool is present.
set -euo pipefail
packages=()
for tool in dpkg:dpkg systemd-analyze:systemd systemd-sysusers:systemd systemd-tmpfiles:systemd rpm:rpm; do
	pkg=${tool#*:}
	if ! command -v "${tool%%:*}" >/dev/null 2>&1 && [[ " ${packages[*]} " != *" $pkg "* ]]; then
		packages+=("$pkg")
	fi
done
if [ ${#packages[@]} -gt 0 ]; then
	"$(dirname "$0")/apt-install.sh" install-packaging "${packages[@]}"
fi
