#!/bin/bash
# Captures the golden real log lines of tests/data/monitor/{postfix,exim,sendmail}/real-*.log:
# real Postfix 3.7, Exim 4.96 and Sendmail 8.17 (the lab's instances, deploy/lab/*-instance.sh)
# on loopback, each scenario run once, the lines it logged saved verbatim (host name and dates
# included: they are the point). Sendmail (and Postfix in the syslog variant) log through
# /dev/log to rg-syslog-sink, which writes Debian 12 rsyslog's default format (RFC 3339) and the
# traditional one.
#
# usage (from the source tree, after building rg-syslog-sink):
#   bash tests/support/mta_sandbox.sh bash tests/data/monitor/capture-real-logs.sh \
#        BUILD/tests/rg-syslog-sink tests/data/monitor [relay|sasl|all]
# "sasl" needs the SASL root (deploy/lab/sasl-root.sh): Dovecot for Postfix, sasldb2 for
# Sendmail; Exim uses its plaintext authenticator with a crypt password file.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,13p' "$0" >&2; exit 2; }
part=${3:-all}
[ "${RELAYGUARD_IN_MTA_SANDBOX:-}" = 1 ] || { echo "run inside tests/support/mta_sandbox.sh" >&2; exit 1; }
sink=$(realpath "$1") out=$(realpath "$2")
src=$(cd "$(dirname "$0")/../../.." && pwd)
lab=$src/deploy/lab
# shellcheck source=../../../deploy/lab/daemon.sh
. "$lab/daemon.sh"
work=$(mktemp -d /tmp/rg-capture.XXXXXX)
chmod 755 "$work"
mkdir -p "$out/postfix" "$out/exim" "$out/sendmail"

"$sink" --socket /dev/log --out "$work/syslog" --traditional-out "$work/syslog.trad" &
sink_pid=$!
cleanup() {
  set +e
  bash "$lab/postfix-instance.sh" destroy "$work/pf" >/dev/null 2>&1
  bash "$lab/postfix-instance.sh" destroy "$work/pfsys" >/dev/null 2>&1
  bash "$lab/postfix-instance.sh" destroy "$work/pfdst" >/dev/null 2>&1
  bash "$lab/exim-instance.sh" destroy "$work/ex" >/dev/null 2>&1
  bash "$lab/postfix-instance.sh" destroy "$work/pfsasl" >/dev/null 2>&1
  bash "$lab/exim-instance.sh" destroy "$work/exsasl" >/dev/null 2>&1
  bash "$lab/sendmail-instance.sh" destroy "$work/smsasl" >/dev/null 2>&1
  [ -s "$work/dovecot/base/master.pid" ] && kill "$(cat "$work/dovecot/base/master.pid")"
  bash "$lab/sendmail-instance.sh" destroy "$work/sm" >/dev/null 2>&1
  bash "$lab/sendmail-instance.sh" destroy "$work/smdeliver" >/dev/null 2>&1
  kill "$sink_pid" 2>/dev/null; wait "$sink_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 100); do [ -S /dev/log ] && break; sleep 0.02; done

free_port() {
  local p
  for p in $(shuf -i 20000-60000 -n 100); do port_up "$p" || { echo "$p"; return 0; }; done
  return 1
}
# swaks_as IP PORT [swaks args...]: one SMTP session from IP to 127.0.0.1:PORT.
swaks_as() {
  local ip=$1 port=$2; shift 2
  swaks --server "127.0.0.1:$port" --local-interface "$ip" --ehlo client.lab.test \
        --from probe@example.org --to victim@example.net "$@" >"$work/swaks.out" 2>&1 || true
}
lines_of() { [ -e "$1" ] && wc -l < "$1" || echo 0; }
# capture LOG FROM_LINE PATTERN DEST: waits up to 10 s for PATTERN among LOG's lines after FROM_LINE,
# 0.7 s more for the lines that follow, then saves those lines to DEST.
capture() {
  local log=$1 from=$2 pattern=$3 dest=$4 _
  for _ in $(seq 1 200); do
    tail -n +"$((from + 1))" "$log" 2>/dev/null | grep -qE "$pattern" && break
    sleep 0.05
  done
  sleep 0.7
  tail -n +"$((from + 1))" "$log" > "$dest"
  if ! grep -qE "$pattern" "$dest"; then
    echo "capture: no /$pattern/ in $log for $dest; swaks said:" >&2; cat "$work/swaks.out" >&2
    exit 1
  fi
  echo "== $dest"; cat "$dest"
}

relay_scenarios() {
# ---------------- Postfix: maillog_file (the lab's way) and syslog (Debian's default) ----------
postfix_run() {  # postfix_run DIR LOG SUFFIX
  local dir=$1 log=$2 sfx=$3 port n
  port=$(free_port)
  bash "$lab/postfix-instance.sh" create "$dir" "$port" 127.0.0.0/29 >/dev/null
  [ "$sfx" = -syslog ] && postconf -c "$dir/etc" -e 'maillog_file =' 'smtpd_peername_lookup = yes'
  bash "$lab/postfix-instance.sh" start "$dir"
  sleep 0.5
  # Debian 12's main.cf: defer_unauth_destination -> 454 4.7.1 Relay access denied.
  n=$(lines_of "$log"); swaks_as 127.0.0.9 "$port" --quit-after RCPT
  capture "$log" "$n" 'Relay access denied' "$out/postfix/real-refused$sfx.log"
  # reject_unauth_destination (the older default, many real configs) -> 554 5.7.1.
  postconf -c "$dir/etc" -e 'smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination'
  postfix -c "$dir/etc" reload >/dev/null 2>&1; sleep 1
  n=$(lines_of "$log"); swaks_as 127.0.0.9 "$port" --quit-after RCPT
  capture "$log" "$n" '554 5.7.1' "$out/postfix/real-refused-554$sfx.log"
  # A trusted client (mynetworks) relays a real message: delivered to the discard transport.
  n=$(lines_of "$log"); swaks_as 127.0.0.1 "$port"
  capture "$log" "$n" 'removed' "$out/postfix/real-trusted-relay$sfx.log"
  # Re-opened by hand (mynetworks = 0.0.0.0/0) and abused from the untrusted address.
  postconf -c "$dir/etc" -e 'mynetworks = 0.0.0.0/0'
  postfix -c "$dir/etc" reload >/dev/null 2>&1; sleep 1
  n=$(lines_of "$log"); swaks_as 127.0.0.9 "$port"
  capture "$log" "$n" 'removed' "$out/postfix/real-relayed$sfx.log"
  bash "$lab/postfix-instance.sh" stop "$dir"
}
postfix_run "$work/pf" "$work/pf/maillog" ""
postfix_run "$work/pfsys" "$work/syslog" "-syslog"
cp "$work/syslog.trad" "$work/syslog.trad.postfix"

# ---------------- Exim: its own mainlog (Debian's default, /var/log/exim4/mainlog) -------------
port=$(free_port)
bash "$lab/exim-instance.sh" create "$work/ex" "$port" 127.0.0.1 >/dev/null
bash "$lab/exim-instance.sh" start "$work/ex"
log=$work/ex/log/mainlog
n=$(lines_of "$log"); swaks_as 127.0.0.9 "$port" --quit-after RCPT
capture "$log" "$n" 'relay not permitted' "$out/exim/real-refused.log"
n=$(lines_of "$log"); swaks_as 127.0.0.1 "$port"
capture "$log" "$n" 'Completed' "$out/exim/real-trusted-relay.log"
# Re-opened by hand: relay_from_hosts = 0.0.0.0/0, SIGHUP (Exim re-execs with the same pid).
sed -i 's|^hostlist   relay_from_hosts = .*|hostlist   relay_from_hosts = 0.0.0.0/0|' "$work/ex/etc/exim4.conf"
kill -HUP "$(cat "$work/ex/run/exim.pid")"; sleep 0.3; wait_port "$port"; sleep 0.3
n=$(lines_of "$log"); swaks_as 127.0.0.9 "$port"
capture "$log" "$n" 'Completed' "$out/exim/real-relayed.log"
bash "$lab/exim-instance.sh" stop "$work/ex"

# ---------------- Sendmail: syslog (sm-mta) through the sink ---------------------------------
port=$(free_port)
bash "$lab/sendmail-instance.sh" create "$work/sm" "$port" closed >/dev/null
bash "$lab/sendmail-instance.sh" start "$work/sm"
: > "$work/syslog"; : > "$work/syslog.trad"
log=$work/syslog
n=$(lines_of "$log"); swaks_as 127.0.0.9 "$port" --quit-after RCPT
capture "$log" "$n" 'Relaying denied' "$out/sendmail/real-refused.log"
n=$(lines_of "$log"); swaks_as 127.0.0.1 "$port"
capture "$log" "$n" 'stat=' "$out/sendmail/real-trusted-relay.log"
# Re-opened by hand: the access map lets 127.0.0.9 relay (no HUP needed for the map).
printf 'Connect:127.0.0.9\tRELAY\n' >> "$work/sm/etc/access"
"${RELAYGUARD_MTA_ROOT:-/var/cache/relayguard/mta-root}/usr/libexec/sendmail/makemap" \
  -C "$work/sm/etc/sendmail.cf" hash "$work/sm/etc/access" < "$work/sm/etc/access"
n=$(lines_of "$log"); swaks_as 127.0.0.9 "$port"
capture "$log" "$n" 'stat=' "$out/sendmail/real-relayed.log"
bash "$lab/sendmail-instance.sh" stop "$work/sm"
cp "$work/syslog.trad" "$out/sendmail/real-all-traditional.log"
sendmail_delivered
}

# Debian's Sendmail delivers at once (DeliveryMode=background): the same relay, but delivered to a
# smart host (a closed lab Postfix on 127.0.0.1 that trusts 127.0.0.1 and discards everything).
sendmail_delivered() {
local dport smport log=$work/syslog n
dport=$(free_port)
bash "$lab/postfix-instance.sh" create "$work/pfdst" "$dport" 127.0.0.1/32 >/dev/null
bash "$lab/postfix-instance.sh" start "$work/pfdst"
smport=$(free_port)
bash "$lab/sendmail-instance.sh" create "$work/smdeliver" "$smport" closed >/dev/null
sed -i -e "s|\`queueonly'|\`background'|" \
  -e "s|^MAILER(\`local')dnl|define(\`SMART_HOST', \`[127.0.0.1]')dnl\ndefine(\`RELAY_MAILER_ARGS', \`TCP \$h $dport')dnl\ndefine(\`ESMTP_MAILER_ARGS', \`TCP \$h $dport')dnl\n&|" \
  "$work/smdeliver/etc/sendmail.mc"
printf 'Connect:127.0.0.9\tRELAY\n' >> "$work/smdeliver/etc/access"
bash "$lab/sendmail-instance.sh" rebuild "$work/smdeliver" >/dev/null 2>&1
bash "$lab/sendmail-instance.sh" start "$work/smdeliver"
n=$(lines_of "$log"); swaks_as 127.0.0.9 "$smport"
capture "$log" "$n" 'stat=Sent' "$out/sendmail/real-relayed-delivered.log"
bash "$lab/sendmail-instance.sh" stop "$work/smdeliver"
bash "$lab/postfix-instance.sh" stop "$work/pfdst"
}

sasl_scenarios() {
[ -x /usr/sbin/dovecot ] || { echo "no SASL backends in this sandbox (deploy/lab/sasl-root.sh)" >&2; exit 1; }
local pw bad hash dv port log n i
pw=$(tr -dc A-Za-z0-9 </dev/urandom | head -c 24 || true)
bad=$(tr -dc A-Za-z0-9 </dev/urandom | head -c 24 || true)
hash=$(printf %s "$pw" | openssl passwd -6 -stdin)
# AUTH as smoke@lab.test from 127.0.0.9 (the password is hidden in swaks' transcript).
auth_as() {  # auth_as PORT PASSWORD [swaks args]
  local p=$1 secret=$2; shift 2
  swaks_as 127.0.0.9 "$p" --auth PLAIN --auth-user smoke@lab.test --auth-password "$secret" \
    --auth-hide-password "$@"
}

# ---------------- Postfix + Dovecot auth-only ---------------------------------------------------
dv=$work/dovecot
mkdir -p "$dv/state"; chmod 755 "$dv"
cat > "$dv/dovecot.conf" <<CONF
protocols =
base_dir = $dv/base
state_dir = $dv/state
log_path = $dv/dovecot.log
instance_name = rg-capture
ssl = no
default_internal_user = dovecot
default_login_user = dovenull
auth_mechanisms = plain login
auth_verbose = yes
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT username_format=%u $dv/users
}
service auth {
  unix_listener $dv/auth-client {
    mode = 0660
    user = postfix
    group = postfix
  }
}
CONF
printf 'smoke@lab.test:{SHA512-CRYPT}%s\n' "$hash" > "$dv/users"
chown root:dovecot "$dv/users"; chmod 640 "$dv/users"
/usr/sbin/dovecot -c "$dv/dovecot.conf"
for i in $(seq 1 100); do [ -S "$dv/auth-client" ] && break; sleep 0.1; done
port=$(free_port)
bash "$lab/postfix-instance.sh" create "$work/pfsasl" "$port" 127.0.0.1/32 >/dev/null
postconf -c "$work/pfsasl/etc" -e 'smtpd_sasl_auth_enable = yes' 'smtpd_sasl_type = dovecot' \
  "smtpd_sasl_path = $dv/auth-client"
bash "$lab/postfix-instance.sh" start "$work/pfsasl"
log=$work/pfsasl/maillog
n=$(lines_of "$log"); auth_as "$port" "$pw"
capture "$log" "$n" 'removed' "$out/postfix/real-auth-relay.log"
n=$(lines_of "$log"); auth_as "$port" "$bad" --quit-after AUTH
capture "$log" "$n" 'authentication failed' "$out/postfix/real-sasl-failed.log"
bash "$lab/postfix-instance.sh" stop "$work/pfsasl"
kill "$(cat "$dv/base/master.pid")" 2>/dev/null || true

# ---------------- Exim (light): plaintext authenticator, crypt password file --------------------
port=$(free_port)
bash "$lab/exim-instance.sh" create "$work/exsasl" "$port" 127.0.0.1 >/dev/null
printf 'smoke@lab.test:%s\n' "$hash" > "$work/exim-passwd"
chown root:Debian-exim "$work/exim-passwd"; chmod 640 "$work/exim-passwd"
sed -i 's|^  accept  hosts       = +relay_from_hosts$|&\n  accept  authenticated = *|' "$work/exsasl/etc/exim4.conf"
cat >> "$work/exsasl/etc/exim4.conf" <<CONF

begin authenticators

plain_server:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if crypteq{\$auth3}{\${extract{1}{:}{\${lookup{\$auth2}lsearch{$work/exim-passwd}{\$value}{*:*}}}}}}
  server_set_id = \$auth2
CONF
bash "$lab/exim-instance.sh" start "$work/exsasl"
log=$work/exsasl/log/mainlog
n=$(lines_of "$log"); auth_as "$port" "$pw"
capture "$log" "$n" 'Completed' "$out/exim/real-auth-relay.log"
n=$(lines_of "$log"); auth_as "$port" "$bad" --quit-after AUTH
capture "$log" "$n" 'authenticator failed' "$out/exim/real-sasl-failed.log"
bash "$lab/exim-instance.sh" stop "$work/exsasl"

# ---------------- Sendmail: Cyrus SASL, sasldb2 --------------------------------------------------
port=$(free_port)
bash "$lab/sendmail-instance.sh" create "$work/smsasl" "$port" closed >/dev/null
printf %s "$pw" | saslpasswd2 -f "$work/sasldb2" -p -c -u lab.test smoke 2>/dev/null
mkdir -p /etc/sasl2
printf 'pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: %s\nmech_list: PLAIN LOGIN\n' \
  "$work/sasldb2" > /etc/sasl2/Sendmail.conf
sed -i "s|^MAILER(\`local')dnl|define(\`confAUTH_MECHANISMS', \`PLAIN LOGIN')dnl\nTRUST_AUTH_MECH(\`PLAIN LOGIN')dnl\n&|" \
  "$work/smsasl/etc/sendmail.mc"
bash "$lab/sendmail-instance.sh" rebuild "$work/smsasl" >/dev/null 2>&1
bash "$lab/sendmail-instance.sh" start "$work/smsasl"
: > "$work/syslog"; log=$work/syslog
n=$(lines_of "$log"); auth_as "$port" "$pw"
capture "$log" "$n" 'stat=' "$out/sendmail/real-auth-relay.log"
n=$(lines_of "$log"); auth_as "$port" "$bad" --quit-after AUTH
capture "$log" "$n" 'AUTH failure' "$out/sendmail/real-sasl-failed.log"
bash "$lab/sendmail-instance.sh" stop "$work/smsasl"
}

case $part in
  relay) relay_scenarios ;;
  sendmail-delivered) sendmail_delivered ;;
  sasl) sasl_scenarios ;;
  all) relay_scenarios; sasl_scenarios ;;
  *) echo "unknown part $part" >&2; exit 2 ;;
esac
echo "captured into $out"
