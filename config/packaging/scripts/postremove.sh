#!/bin/sh
# After the package is removed (.deb postrm, .rpm %postun): let systemd
# forget the unit. The user, the config (on a plain .deb remove) and the data
# directory stay: /var/lib/pomerium-console holds the embedded store and the
# key that decrypts its secrets, which only an administrator may throw away.
#
# Arguments: .deb "remove", "purge", "upgrade", ...; .rpm the number of
# versions left installed. DPKG_ROOT: see postinstall.sh.
set -e

case "$1" in
remove | purge | 0) ;;
*) exit 0 ;;
esac
if [ -n "${DPKG_ROOT:-}" ] || [ ! -d /run/systemd/system ]; then
	exit 0
fi
systemctl daemon-reload || true # as postinstall.sh: never blocks the removal
