#!/usr/bin/env bash
# Debian's Chromium for the browser tests (test/integration/browser/), installed once: playwright-core
# drives it through its executablePath, so no browser is ever downloaded. Idempotent; run as root
# (or with sudo), as the test environment's other installers are.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then exit 0; fi
echo "[chromium] installing Debian's chromium package" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version >&2
