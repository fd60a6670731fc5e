#!/bin/bash
# Installs everything relayguard needs to build, test and run its demo on Debian 12 (as root):
# the toolchain and libraries (Debian packages only) and the real MTAs the tests drive.
# Postfix is installed unconfigured: its own service stays off, our sandboxes use `postfix -c DIR`.
# Exim and Sendmail conflict with the postfix package: they are unpacked, not installed, into
# RELAYGUARD_MTA_ROOT (default /var/cache/relayguard/mta-root) by deploy/lab/mta-root.sh.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev
  libgit2-dev libyaml-cpp-dev libspdlog-dev libgtest-dev libgmock-dev
  libsqlite3-dev libssl-dev openssl tzdata libpcre2-dev libcli11-dev nlohmann-json3-dev
  postfix postfix-lmdb postfix-pcre swaks iproute2 util-linux procps m4 libidn12 libwrap0 nmap
)
mta_root=${RELAYGUARD_MTA_ROOT:-/var/cache/relayguard/mta-root}
here=$(cd "$(dirname "$0")" && pwd)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#packages[@]} packages already installed"
  bash "$here/lab/mta-root.sh" "$mta_root" >/dev/null
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install_deps: missing packages (${missing[*]}); run as root" >&2
  exit 1
fi
echo "install_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
bash "$here/lab/mta-root.sh" "$mta_root" >/dev/null
echo "install_deps: done (Exim and Sendmail unpacked in $mta_root)"
