#!/bin/sh
# Before the package is removed (.deb prerm, .rpm %preun): stop and disable
# the service, but not when an upgrade replaces the package (.deb "upgrade",
# .rpm 1 version left), which restarts it instead.
#
# Arguments: .deb "remove", "upgrade", ...; .rpm the number of versions
# left installed. DPKG_ROOT: see postinstall.sh.
set -e

case "$1" in
remove | 0) ;;
*) exit 0 ;;
esac
if [ -n "${DPKG_ROOT:-}" ] || [ ! -d /run/systemd/system ]; then
	exit 0
fi
systemctl disable --now pomerium-console.service || true # as postinstall.sh: never blocks the removal
