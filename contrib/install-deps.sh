#!/bin/sh
# install-deps.sh - every Debian 12 package smbfuse needs to build, test and
# run the demo. Idempotent: installs only what is missing, runs
# `apt-get update` only when something is missing.
set -eu

PKGS="
  build-essential pkg-config meson ninja-build gcc clang clang-format
  libclang-rt-14-dev
  libfuse3-dev fuse3
  libglib2.0-dev
  nettle-dev libgnutls28-dev
  heimdal-dev heimdal-clients
  samba smbclient samba-ad-dc samba-ad-provision winbind
  python3 python3-pytest
  iproute2 iptables tshark
  sqlite3 git rsync attr
"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing (run as root)" >&2
    exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no, quietly
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "install-deps: done"
