#!/bin/bash
# Runs a command (a test binary, the demo's agents) where Exim and Sendmail can run for real
# without being installed and without touching the machine's /etc: a private mount namespace
# whose /etc is a copy of the real one with the few things those daemons need:
#   - the Debian-exim user and group (compiled into Debian's exim4 binary),
#   - /etc/hosts naming this host with a dotted name first (else Sendmail stalls 60 s at start)
#     and 127.0.0.9 (else Sendmail answers 450 "cannot resolve" instead of 550),
#   - resolv.conf pointing at 127.0.0.1, so nothing is ever asked of a real DNS server.
# The MTA binaries come from the unpacked packages in RELAYGUARD_MTA_ROOT (deploy/lab/mta-root.sh).
# usage: mta_sandbox.sh COMMAND [ARGS...]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: mta_sandbox.sh COMMAND [ARGS...]" >&2; exit 2; }
if [ "${RELAYGUARD_IN_MTA_SANDBOX:-}" = 1 ]; then exec "$@"; fi
root=${RELAYGUARD_MTA_ROOT:-/var/cache/relayguard/mta-root}
if [ ! -x "$root/usr/sbin/exim4" ] || [ ! -x "$root/usr/libexec/sendmail/sendmail" ]; then
  echo "mta_sandbox: no unpacked Exim/Sendmail under $root;" \
       "run: bash deploy/lab/mta-root.sh $root" >&2
  exit 1
fi
etc=$(mktemp -d /tmp/rg-etc.XXXXXX)
cleanup() { rm -rf "$etc"; }
trap cleanup EXIT
cp -a /etc/. "$etc/"
if ! grep -q '^Debian-exim:' "$etc/passwd"; then
  id=$(awk -F: '$3 >= 100 && $3 < 1000 {u[$3]=1} END {for (i = 999; i >= 100; i--) if (!u[i]) {print i; exit}}' \
       "$etc/passwd" "$etc/group")
  echo "Debian-exim:x:$id:$id::/nonexistent:/usr/sbin/nologin" >> "$etc/passwd"
  echo "Debian-exim:x:$id:" >> "$etc/group"
  echo "Debian-exim:!:19000::::::" >> "$etc/shadow"
fi
host=$(hostname)
{ printf '127.0.1.1\t%s.lab.test %s\n::1\t%s.lab.test %s\n' "$host" "$host" "$host" "$host"
  printf '127.0.0.9\tuntrusted.lab.test\n127.0.0.1\tlocalhost\n'
  cat /etc/hosts; } > "$etc/hosts"
rm -f "$etc/resolv.conf"
echo 'nameserver 127.0.0.1' > "$etc/resolv.conf"
mkdir -p "$etc/exim4"
: > "$etc/exim4/trusted_configs"
chmod 644 "$etc/exim4/trusted_configs"
# The command's exit code is ours; the copy is removed afterwards (trap).
set +e
unshare -m --propagation private env RELAYGUARD_IN_MTA_SANDBOX=1 RELAYGUARD_MTA_ROOT="$root" \
  bash -c 'mount --bind "$0" /etc || exit 97; exec "$@"' "$etc" "$@"
rc=$?
set -e
exit $rc
