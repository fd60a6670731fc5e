#!/bin/bash
# Unpacks Debian's Exim and Sendmail packages into a private root (they conflict with the
# installed postfix package, so they are never installed): ROOT/usr/sbin/exim4,
# ROOT/usr/libexec/sendmail/sendmail, ROOT/usr/share/sendmail/cf, ROOT/etc/exim4 (Debian's
# exim4.conf.template and split conf.d), and m4/makemap. Idempotent; prints ROOT.
# usage: mta-root.sh ROOT
set -euo pipefail
root=${1:?usage: mta-root.sh ROOT}
stamp=$root/.complete
if [ -f "$stamp" ]; then echo "$root"; exit 0; fi
export DEBIAN_FRONTEND=noninteractive
# Libraries the unpacked binaries link against (not pulled in by postfix).
need=()
for p in libidn12 libwrap0 m4; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
fi
debs=$(mktemp -d)
trap 'rm -rf "$debs"' EXIT
download() {
  (cd "$debs" && apt-get download -qq exim4-base exim4-config exim4-daemon-light \
     sendmail-bin sendmail-base sendmail-cf >/dev/null 2>&1)
}
# A fresh machine may have no package lists yet.
download || { apt-get update -qq >/dev/null && download; }
mkdir -p "$root"
for f in "$debs"/*.deb; do dpkg-deb -x "$f" "$root"; done
touch "$stamp"
echo "$root"
