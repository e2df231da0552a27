#!/usr/bin/env bash
# Debian's Chromium and its WebDriver, for the browser tests (installed once; safe to re-run).
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
echo "browser: installing Debian's chromium and chromium-driver (first run only)"
if [[ $(id -u) -eq 0 ]]; then SUDO=""; else SUDO="sudo -n"; fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver
fi
