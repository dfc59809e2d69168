#!/usr/bin/env bash
# Debian packages the tests drive for real: Chromium (UI tests), nginx (the stack test) and
# a Chinese font (the word clouds);
# with --containers also what the container suite (infra/tests/test_containers*.py) needs
# to build the images and run the compose files: podman (buildah inside), podman-compose,
# debootstrap (the base image), runc (crun refuses this machine's hybrid cgroups) and
# netavark, aardvark-dns and iptables (the compose networks and their DNS).
# Installs only what is missing; needs root (CI runs as root). Without root it says what
# is missing and the tests that need it skip.
set -uo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
# a font with Chinese characters: the UI draws Chinese word clouds with it
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
if [ "${1:-}" = "--containers" ]; then
  for tool in podman buildah podman-compose debootstrap runc iptables; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || need+=("$tool")
  done
  [ -x /usr/lib/podman/netavark ] || need+=(netavark)
  [ -x /usr/lib/podman/aardvark-dns ] || need+=(aardvark-dns)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "not root: cannot install ${need[*]}; the tests that need them will skip"
  exit 0
fi
echo "installing ${need[*]}..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
  || echo "could not install ${need[*]}; the tests that need them will skip"
