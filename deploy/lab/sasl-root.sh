#!/bin/bash
# Unpacks the SASL backends the SMTP AUTH tests drive into a private root, never installing them
# (dovecot-core's postinst would add users to the real /etc/passwd, write /etc/dovecot and start
# the service):
#   ROOT/pkg         dovecot-core, sasl2-bin, libmariadb3, libspf2-2; tests/support/mta_sandbox.sh
#                    overlays ROOT/pkg/usr read-only onto /usr inside its namespace, because the
#                    binaries have /usr/lib/dovecot and /usr/bin/doveconf compiled in;
#   ROOT/exim-heavy  exim4-daemon-heavy (the build with the dovecot authenticator; it needs the
#                    two libraries above, which the overlay provides).
# Idempotent (a stamp file); prints ROOT.
# usage: sasl-root.sh [ROOT]   (default /var/cache/relayguard/sasl-root)
set -euo pipefail
root=${1:-${RELAYGUARD_SASL_ROOT:-/var/cache/relayguard/sasl-root}}
stamp=$root/.complete
if [ -f "$stamp" ]; then echo "$root"; exit 0; fi
# Two test commands or demos started at once: one unpacks, the other waits and finds the stamp.
mkdir -p "$(dirname "$root")"
exec 9>"$root.lock"
flock 9
if [ -f "$stamp" ]; then echo "$root"; exit 0; fi
export DEBIAN_FRONTEND=noninteractive
overlay=(dovecot-core sasl2-bin libmariadb3 libspf2-2)
debs=$(mktemp -d)
work=
trap 'rm -rf "$debs" ${work:+"$work"}' EXIT
download() {
  (cd "$debs" && apt-get download -qq "${overlay[@]}" exim4-daemon-heavy >/dev/null 2>&1)
}
# A fresh machine may have no package lists yet.
download || { apt-get update -qq >/dev/null && download; } || {
  echo "sasl-root: apt-get download ${overlay[*]} exim4-daemon-heavy failed" >&2; exit 1; }
# Unpack into a scratch directory and rename it into place: an interrupted run leaves no
# half-filled root behind the stamp.
work=$(mktemp -d "$root.new.XXXXXX")
mkdir -p "$work/pkg" "$work/exim-heavy"
for p in "${overlay[@]}"; do dpkg-deb -x "$debs/${p}"_*.deb "$work/pkg"; done
dpkg-deb -x "$debs"/exim4-daemon-heavy_*.deb "$work/exim-heavy"
chmod 755 "$work"
touch "$work/.complete"
rm -rf "$root"
mv "$work" "$root"
echo "$root"
