#!/bin/bash
# Runs a command (a test binary, the demo's agents) where Exim and Sendmail can run for real
# without being installed and without touching the machine's /etc: a private mount namespace
# whose /etc is a copy of the real one with the few things those daemons need:
#   - the Debian-exim user and group (compiled into Debian's exim4 binary),
#   - /etc/hosts naming this host with a dotted name first (else Sendmail stalls 60 s at start)
#     and 127.0.0.9 (else Sendmail answers 450 "cannot resolve" instead of 550),
#   - resolv.conf pointing at 127.0.0.1, so nothing is ever asked of a real DNS server.
# The MTA binaries come from the unpacked packages in RELAYGUARD_MTA_ROOT (deploy/lab/mta-root.sh).
# When the SASL root exists (RELAYGUARD_SASL_ROOT, deploy/lab/sasl-root.sh), the namespace also
# gets the SMTP AUTH backends at their normal paths: ROOT/pkg/usr overlaid read-only onto /usr
# (dovecot, doveadm, doveconf, saslauthd, testsaslauthd, saslpasswd2, sasldblistusers2: their
# library and helper paths are compiled in, so they cannot run from ROOT), the users dovecot and
# dovenull, an empty /etc/sasl2, and RELAYGUARD_EXIM_HEAVY naming exim4-daemon-heavy's binary
# (the build with the dovecot authenticator). tests/support/sasl_lab.h drives them.
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
sasl_root=${RELAYGUARD_SASL_ROOT:-/var/cache/relayguard/sasl-root}
sasl=0
if [ -f "$sasl_root/.complete" ] && [ -x "$sasl_root/pkg/usr/sbin/dovecot" ]; then sasl=1; fi
etc=$(mktemp -d /tmp/rg-etc.XXXXXX)
dev=$(mktemp -d /tmp/rg-dev.XXXXXX)
# Daemons the command left running in the namespace (a test that failed before its teardown, a
# daemonised Dovecot or Postfix master): found by their /etc, which is this run's copy; TERM,
# then KILL what is left after 5 s (Dovecot's master takes 2 s). Then the copy goes.
sandbox_processes() {
  local d tag="/${etc##*/} /etc "
  for d in /proc/[0-9]*; do
    [ "${d#/proc/}" = $$ ] && continue
    grep -qF "$tag" "$d/mountinfo" 2>/dev/null && echo "${d#/proc/}"
  done
  return 0
}
cleanup() {
  local left i
  set +e  # the command's exit code stays ours
  left=$(sandbox_processes)
  if [ -n "$left" ]; then
    echo "mta_sandbox: stopping processes the command left running:" $left >&2
    kill -TERM $left 2>/dev/null
    for i in $(seq 1 50); do left=$(sandbox_processes); [ -z "$left" ] && break; sleep 0.1; done
    [ -n "$left" ] && kill -KILL $left 2>/dev/null
  fi
  rm -rf "$etc"
  rmdir "$dev" 2>/dev/null
}
trap cleanup EXIT
cp -a /etc/. "$etc/"
# Plain lines appended to the copy (useradd would log to the real /var/log).
add_user() {  # add_user NAME GECOS
  grep -q "^$1:" "$etc/passwd" && return 0
  local id
  id=$(awk -F: '$3 >= 100 && $3 < 1000 {u[$3]=1} END {for (i = 999; i >= 100; i--) if (!u[i]) {print i; exit}}' \
       "$etc/passwd" "$etc/group")
  echo "$1:x:$id:$id:$2:/nonexistent:/usr/sbin/nologin" >> "$etc/passwd"
  grep -q "^$1:" "$etc/group" || echo "$1:x:$id:" >> "$etc/group"
  echo "$1:!:19000::::::" >> "$etc/shadow"
}
add_user Debian-exim ""
if [ $sasl = 1 ]; then
  add_user dovecot "Dovecot mail server"  # default_internal_user
  add_user dovenull "Dovecot login user"  # default_login_user: must exist even with no logins
  mkdir -p "$etc/sasl2"                   # where libsasl2 looks for Sendmail.conf
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
sasl_env=()
usr_layer=
if [ $sasl = 1 ]; then
  sasl_env=(RELAYGUARD_SASL_ROOT="$sasl_root"
            RELAYGUARD_EXIM_HEAVY="$sasl_root/exim-heavy/usr/sbin/exim4")
  usr_layer=$sasl_root/pkg/usr
fi
# The overlay has no upperdir: /usr stays read-only and the real /usr is never written.
unshare -m --propagation private env RELAYGUARD_IN_MTA_SANDBOX=1 RELAYGUARD_MTA_ROOT="$root" \
  "${sasl_env[@]}" bash -c '
    mount --bind "$0" /etc || exit 97
    if [ -n "$1" ]; then
      mount -t overlay rg-sasl-usr -o "lowerdir=$1:/usr" /usr || exit 97
    fi
    mount -t tmpfs -o mode=755,size=4m rg-dev "$2" || exit 97
    for n in null zero full random urandom tty ptmx; do
      [ -e "/dev/$n" ] || continue
      : > "$2/$n" && mount --bind "/dev/$n" "$2/$n" || exit 97
    done
    mkdir "$2/pts" "$2/shm" && mount --rbind /dev/pts "$2/pts" && mount --bind /dev/shm "$2/shm" ||
      exit 97
    ln -s /proc/self/fd "$2/fd" && ln -s /proc/self/fd/0 "$2/stdin" &&
      ln -s /proc/self/fd/1 "$2/stdout" && ln -s /proc/self/fd/2 "$2/stderr" || exit 97
    mount --move "$2" /dev || exit 97
    shift 2
    exec "$@"' "$etc" "$usr_layer" "$dev" "$@"
rc=$?
set -e
exit $rc
