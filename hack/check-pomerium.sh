#!/usr/bin/env bash
# Checks that Pomerium v0.33.0's own databroker server (dbserver) and config
# builder (configcheck), which the tests run against (hack/pomeriumtest), are
# where the tests look for them and are the builds their SHA256SUMS name:
# ../shared/pomerium-v0.33.0/ beside the repository, or the directory
# POMERIUM_CONSOLE_POMERIUM_DIR names. They are built from Pomerium's source
# outside this repository; nothing here downloads them.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${POMERIUM_CONSOLE_POMERIUM_DIR:-../shared/pomerium-v0.33.0}
for bin in dbserver configcheck; do
	if [ ! -x "$dir/$bin" ]; then
		echo "check-pomerium: no executable $dir/$bin: the tests run Pomerium v0.33.0's dbserver and configcheck from $dir (set POMERIUM_CONSOLE_POMERIUM_DIR to another directory holding them)" >&2
		exit 1
	fi
done
if [ -f "$dir/SHA256SUMS" ]; then
	(cd "$dir" && sha256sum --quiet -c SHA256SUMS) || {
		echo "check-pomerium: $dir does not match its SHA256SUMS" >&2
		exit 1
	}
fi
