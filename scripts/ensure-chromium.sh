#!/usr/bin/env bash
# Installs Debian's chromium (for the report's browser test) when it is missing.
# Needs root and apt-get; prints the browser's path.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "ensure-chromium: chromium is missing and installing it needs root" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q chromium >/tmp/mensemble-chromium-apt.log 2>&1 || {
    apt-get update -q >>/tmp/mensemble-chromium-apt.log 2>&1
    apt-get install -y -q chromium >>/tmp/mensemble-chromium-apt.log 2>&1 ||
      { echo "ensure-chromium: apt-get install chromium failed; see /tmp/mensemble-chromium-apt.log" >&2; exit 1; }
  }
fi
command -v chromium
