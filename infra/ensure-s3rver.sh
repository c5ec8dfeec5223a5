#!/usr/bin/env bash
# Make sure s3rver (an S3 implementation from npm, independent of moto) is installed for
# the end-to-end test that runs the pipeline against it: Debian's nodejs and npm with
# apt-get as root when they are missing (otherwise say how), then the pinned s3rver
# package into .venv/node. Usage: infra/ensure-s3rver.sh [PREFIX]
set -euo pipefail
S3RVER_VERSION=3.7.1
prefix="${1:-.venv/node}"
if [ -x "$prefix/node_modules/.bin/s3rver" ]; then
  exit 0
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "nodejs and npm are missing. Install them with: sudo apt-get install -y nodejs npm" >&2
    exit 1
  fi
  echo "Installing nodejs and npm with apt-get…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
echo "Installing s3rver $S3RVER_VERSION from npm into $prefix…"
mkdir -p "$prefix"
npm install --silent --no-audit --no-fund --prefix "$prefix" "s3rver@$S3RVER_VERSION" >/dev/null
test -x "$prefix/node_modules/.bin/s3rver"
