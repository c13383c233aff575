#!/bin/sh
# Before an .rpm unpacks its files (%pre): create the system user, so that
# rpm gives the config file the service's group as it unpacks it (rpm falls
# back to root, with a warning, for a group that does not exist yet).
# postinstall.sh creates it again from sysusers.conf, idempotently, as the
# .deb does; the line below is that file's. DPKG_ROOT: see postinstall.sh
# (the .rpm shares it; the package tests run the scripts so).
set -e
systemd-sysusers ${DPKG_ROOT:+--root="$DPKG_ROOT"} - <<'USERS'
u pomerium-console - "Pomerium Console" /var/lib/pomerium-console
USERS
