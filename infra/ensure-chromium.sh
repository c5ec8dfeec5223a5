#!/usr/bin/env bash
# Make sure Debian's chromium is installed for the browser tests: apt-get as root,
# otherwise say how. Playwright drives this browser; it never downloads its own.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is missing. Install it with: sudo apt-get install -y chromium" >&2
  exit 1
fi
echo "Installing chromium with apt-get…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
test -x /usr/bin/chromium
