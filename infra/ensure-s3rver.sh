#!/usr/bin/env bash
# Make sure the s3rver S3 endpoint (npm, independent of moto) is installed for `make bench`
# and for the end-to-end test that runs the pipeline against it (`make test`): Debian's
# nodejs and npm with apt-get as root when missing, then s3rver into .run/s3rver.
set -euo pipefail
S3RVER_VERSION=3.7.1
prefix="${1:-.run/s3rver}"
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
if [ -x "$prefix/node_modules/.bin/s3rver" ] \
  && grep -q "\"version\": \"$S3RVER_VERSION\"" "$prefix/node_modules/s3rver/package.json"; then
  exit 0
fi
echo "Installing s3rver $S3RVER_VERSION into $prefix…"
mkdir -p "$prefix"
npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "s3rver@$S3RVER_VERSION" >/dev/null
test -x "$prefix/node_modules/.bin/s3rver"
