#!/bin/bash
# sasl-backend.sh: real SMTP AUTH backends for the demo, inside tests/support/mta_sandbox.sh
# (Dovecot and saslpasswd2 come from the unpacked packages it overlays on /usr; its /etc is
# private). Facts: ../shared/notes/sasl-lab/NOTES.md; the C++ twin for the tests is
# tests/support/sasl_lab.h.
#
#   sasl-backend.sh credential FILE USER        a random password; FILE = "USER:PASSWORD", 0600
#   sasl-backend.sh dovecot-start DIR SOCKET CREDENTIAL   auth-only Dovecot, socket postfix:Debian-exim 0660
#   sasl-backend.sh dovecot-stop DIR
#   sasl-backend.sh exim-passwd FILE CREDENTIAL  "USER:$6$..." for Exim's plaintext + crypteq, root:Debian-exim 0640
#   sasl-backend.sh sasldb FILE CREDENTIAL       a Cyrus sasldb2 with USER (user@realm split at '@')
set -euo pipefail
usage() { sed -n '2,12p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
[ "${RELAYGUARD_IN_MTA_SANDBOX:-}" = 1 ] || { echo "sasl-backend.sh: run inside tests/support/mta_sandbox.sh" >&2; exit 2; }
cmd=$1; shift
user_of() { cut -d: -f1 "$1"; }
password_of() { cut -d: -f2- "$1"; }
sha512_crypt() { printf '%s' "$1" | openssl passwd -6 -stdin; }
case $cmd in
  credential)
    file=$1 user=$2
    umask 077
    printf '%s:%s\n' "$user" "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" > "$file"
    chmod 600 "$file" ;;
  dovecot-start)
    dir=$1 socket=$2 credential=$3
    mkdir -p "$dir/state"
    cat > "$dir/dovecot.conf" <<CONF
# Dovecot as an auth-only SASL server (relayguard demo)
protocols =
base_dir = $dir/base
state_dir = $dir/state
log_path = $dir/dovecot.log
instance_name = rg-demo-$(basename "$dir")
ssl = no
default_internal_user = dovecot
default_login_user = dovenull
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT username_format=%u $dir/users
}
service auth {
  unix_listener $socket {
    mode = 0660
    user = postfix
    group = Debian-exim
  }
}
CONF
    printf '%s:{SHA512-CRYPT}%s\n' "$(user_of "$credential")" \
      "$(sha512_crypt "$(password_of "$credential")")" > "$dir/users"
    chown root:dovecot "$dir/users"; chmod 640 "$dir/users"
    dovecot -c "$dir/dovecot.conf"
    for _ in $(seq 1 100); do [ -S "$socket" ] && exit 0; sleep 0.05; done
    echo "sasl-backend.sh: Dovecot did not create $socket" >&2; tail -5 "$dir/dovecot.log" >&2; exit 1 ;;
  dovecot-stop)
    dir=$1
    [ -f "$dir/base/master.pid" ] || exit 0
    pid=$(cat "$dir/base/master.pid")
    kill -TERM "$pid" 2>/dev/null || exit 0
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.05; done ;;
  exim-passwd)
    file=$1 credential=$2
    printf '%s:%s\n' "$(user_of "$credential")" "$(sha512_crypt "$(password_of "$credential")")" > "$file"
    chown root:Debian-exim "$file"; chmod 640 "$file" ;;
  sasldb)
    file=$1 credential=$2
    user=$(user_of "$credential")
    password_of "$credential" | tr -d '\n' |
      saslpasswd2 -f "$file" -p -c -u "${user#*@}" "${user%@*}" 2>/dev/null ;;
  *) usage ;;
esac
