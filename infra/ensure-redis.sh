#!/usr/bin/env bash
# Make sure redis-server is installed: apt-get as root, otherwise say how.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "redis-server is missing. Install it with: sudo apt-get install -y redis-server" >&2
  echo "(or set REDIS_URL to a Redis you already run)" >&2
  exit 1
fi
echo "Installing redis-server with apt-get…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d keeps the package from starting a system-wide Redis on port 6379:
# Wirefeed starts its own, with the persistence settings a broker needs.
had_policy=0
[ -e /usr/sbin/policy-rc.d ] && had_policy=1
if [ "$had_policy" -eq 0 ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
fi
apt-get install -y -qq --no-install-recommends redis-server >/dev/null
[ "$had_policy" -eq 0 ] && rm -f /usr/sbin/policy-rc.d
command -v redis-server >/dev/null
