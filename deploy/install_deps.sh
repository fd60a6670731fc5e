#!/bin/bash
# Installs everything relayguard needs to build, test and run its demo on Debian 12 (as root):
# the toolchain and libraries (Debian packages only) and the real MTAs the tests drive.
# Postfix is installed unconfigured: its own service stays off, our sandboxes use `postfix -c DIR`.
# Exim and Sendmail conflict with the postfix package: they are unpacked, not installed, into
# RELAYGUARD_MTA_ROOT (default /var/cache/relayguard/mta-root) by deploy/lab/mta-root.sh.
# The SMTP AUTH backends (Dovecot, Cyrus saslauthd/sasldb, exim4-daemon-heavy) are unpacked too,
# into RELAYGUARD_SASL_ROOT (default /var/cache/relayguard/sasl-root) by deploy/lab/sasl-root.sh:
# dovecot-core's postinst would write the real /etc. The libraries they link against are below.
# The Debian packages are built with debhelper and tested in a debootstrap'ed root, checked by
# lintian (deploy/build-debs.sh, tests/package/). The fuzz targets build with clang 14 and its
# libFuzzer and sanitizer runtimes (fuzz/run_fuzz.sh); the test builds link with mold.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev
  libgit2-dev libssh2-1-dev libyaml-cpp-dev libspdlog-dev libgtest-dev libgmock-dev
  libsqlite3-dev libssl-dev openssl tzdata libpcre2-dev libre2-dev libcli11-dev nlohmann-json3-dev
  postfix postfix-lmdb postfix-pcre swaks iproute2 util-linux procps m4 libidn12 libwrap0 nmap
  libio-socket-ssl-perl
  libsystemd-dev debhelper dpkg-dev debootstrap lintian systemd-container
  prometheus-cpp-dev libcpp-httplib-dev prometheus curl libargon2-dev chromium
  clang-14 clang libclang-rt-14-dev mold
  libsasl2-modules libsasl2-modules-db libdb5.3 libsodium23 libunwind8 libapparmor1 libicu72
  libstemmer0d libkrb5-3 libldap-2.5-0 libpam0g libgnutls-dane0 libperl5.36 libpq5 libnsl2
)
mta_root=${RELAYGUARD_MTA_ROOT:-/var/cache/relayguard/mta-root}
sasl_root=${RELAYGUARD_SASL_ROOT:-/var/cache/relayguard/sasl-root}
here=$(cd "$(dirname "$0")" && pwd)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#packages[@]} packages already installed"
  bash "$here/lab/mta-root.sh" "$mta_root" >/dev/null
  bash "$here/lab/sasl-root.sh" "$sasl_root" >/dev/null
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
bash "$here/lab/sasl-root.sh" "$sasl_root" >/dev/null
echo "install_deps: done (Exim and Sendmail unpacked in $mta_root, SASL backends in $sasl_root)"
