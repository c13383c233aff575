#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium, which the web console's
# browser tests drive (server/web/e2e), and a font for readable screenshots.
# Safe to run repeatedly: it installs nothing when chromium is present.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
	exit 0
fi
"$(dirname "$0")/apt-install.sh" install-chromium chromium fonts-dejavu-core
chromium --version
