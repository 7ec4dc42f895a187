#!/bin/sh
# Install what building and testing Petrel needs on Debian 12, if missing.
# Run as root (or through sudo).
set -e
pkgs="build-essential autoconf automake libtool pkg-config libevent-dev
libprotobuf-c-dev protobuf-c-compiler protobuf-compiler liblz4-dev check
mandoc systemd curl jq bash-completion python3 python3-protobuf clang
libclang-rt-14-dev"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "setup-debian.sh: missing packages:$missing; run as root" >&2
	exit 77
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
