#!/bin/sh
# After the package's files are in place (.deb postinst, .rpm %post): create
# the system user and the data directory, and give the service's group read
# access to the config file. Never starts the service (the config needs
# editing first); an upgrade restarts it if it runs.
#
# Arguments: .deb "configure" and the version configured before (empty on a
# first install); .rpm the number of versions installed (1 on a first
# install). DPKG_ROOT names the root dpkg installs into when it is not /
# (dpkg --root with --force-script-chrootless): then only files below it
# change, and no service is touched.
set -e

root="${DPKG_ROOT:-}"
upgrade=
case "$1" in
configure) upgrade="${2:-}" ;;
abort-*) ;;
[0-9]*) if [ "$1" -gt 1 ]; then upgrade=yes; fi ;;
*) exit 0 ;;
esac

# The user, its group and the data directory, from the files the package
# ships under /usr/lib/sysusers.d and /usr/lib/tmpfiles.d.
systemd-sysusers ${root:+--root="$root"} pomerium-console.conf
systemd-tmpfiles --create ${root:+--root="$root"} pomerium-console.conf

# On a first install the group did not exist when the config file was
# unpacked, so it came out root's. The group id is read from the root's own
# group file: chgrp would look the name up in this system's. (An
# administrator may have deleted the config; dpkg then leaves it deleted.)
config="$root/etc/pomerium-console/config.yaml"
if [ -f "$config" ] && [ "$(stat -c %g "$config")" = 0 ]; then
	group=$(sed -n 's/^pomerium-console:[^:]*:\([0-9][0-9]*\):.*/\1/p' "$root/etc/group")
	chgrp "${group:-pomerium-console}" "$root/etc/pomerium-console" "$config"
fi

if [ -n "$root" ] || [ ! -d /run/systemd/system ]; then
	exit 0
fi
# As Debian's own helpers do, a unit that fails to restart does not fail the
# upgrade: the package is installed whole, and systemctl status says why the
# service did not come back.
systemctl daemon-reload || true
if [ -n "$upgrade" ]; then
	systemctl try-restart pomerium-console.service || true
fi
