#!/usr/bin/env bash
# Debian packages the tests drive for real: Chromium (UI tests) and nginx (the stack test).
# Installs only what is missing; needs root (CI runs as root). Without root it says what
# is missing and the tests that need it skip.
set -uo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "not root: cannot install ${need[*]}; the tests that need them will skip"
  exit 0
fi
echo "installing ${need[*]}..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
  || echo "could not install ${need[*]}; the tests that need them will skip"
