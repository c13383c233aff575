#!/usr/bin/env bash
# Installs Debian's ca-certificates package, whose bundle
# (/etc/ssl/certs/ca-certificates.crt) `make image` copies into the container
# image and hack/containerimage's tests check. The bundle is part of the
# image: machines with different versions of the package build images with
# different digests.
# Safe to run repeatedly: it installs nothing when the bundle is present.
set -euo pipefail
bundle=/etc/ssl/certs/ca-certificates.crt
if [ -s "$bundle" ]; then
	exit 0
fi
"$(dirname "$0")/apt-install.sh" install-ca-certificates ca-certificates
if [ ! -s "$bundle" ]; then
	echo "install-ca-certificates: ca-certificates installed but $bundle is missing or empty" >&2
	exit 1
fi
