#!/bin/bash
# capture.sh OUT_DIR: runs real Postfix 3.7 and Exim 4.96 (Debian 12 packages, the lab's sandboxed
# instances) and drives the sessions whose log lines are the parser's golden cases: a refused
# relay from the untrusted 127.0.0.9, a relay accepted for it (open relay), a trusted client, a
# local delivery, an AUTH failure and an authenticated relay. Writes OUT_DIR/postfix-maillog,
# OUT_DIR/exim-*-mainlog. Run it inside the MTA sandbox, as root:
#   tests/support/mta_sandbox.sh bash tests/data/monitor/capture.sh /tmp/rg-capture
# The .log cases in postfix/ and exim/ were cut from its output (unchanged lines).
set -euo pipefail
[ "${RELAYGUARD_IN_MTA_SANDBOX:-}" = 1 ] || { echo "capture.sh: run inside tests/support/mta_sandbox.sh" >&2; exit 2; }
out=$1
here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../../../deploy/lab
client="python3 $here/smtp_client.py"
work=$(mktemp -d /tmp/rg-capture.XXXXXX)
chmod 755 "$work"
cleanup() {
  bash "$lab/postfix-instance.sh" destroy "$work/pf" || true
  bash "$lab/exim-instance.sh" destroy "$work/ex1" || true
  bash "$lab/exim-instance.sh" destroy "$work/ex2" || true
  bash "$lab/exim-instance.sh" destroy "$work/ex3" || true
  bash "$lab/sasl-backend.sh" dovecot-stop "$work/dovecot" || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$out"
bash "$lab/sasl-backend.sh" credential "$work/credential" labuser
sasl_user=labuser

# ---- Postfix ----
pf=$work/pf
bash "$lab/postfix-instance.sh" create "$pf" 2525 127.0.0.1/32
bash "$lab/sasl-backend.sh" dovecot-start "$work/dovecot" "$work/auth.sock" "$work/credential"
postconf -c "$pf/etc" -e smtpd_sasl_auth_enable=yes smtpd_sasl_type=dovecot \
  "smtpd_sasl_path=$work/auth.sock"
bash "$lab/postfix-instance.sh" start "$pf"
# defer_unauth_destination (the lab's default): 454 4.7.1
$client 2525 127.0.0.9 probe.example a@example.org victim@example.net || true
# a local recipient, then a foreign one: the refusal carries the queue id
$client 2525 127.0.0.9 probe.example a@example.org postmaster@pf.lab.test,victim2@example.net || true
# trusted client (mynetworks): relayed, not an event
$client 2525 127.0.0.1 trusted.example a@example.org friend@example.com || true
# AUTH failure, then an authenticated relay from the untrusted address
$client 2525 127.0.0.9 guesser.example a@example.org x@example.net --bad-auth "$sasl_user" || true
$client 2525 127.0.0.9 roaming.example a@example.org far@example.com --auth "$sasl_user:$work/credential" || true
postconf -c "$pf/etc" -e 'smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination'
postfix -c "$pf/etc" reload >/dev/null 2>&1; sleep 1
# reject_unauth_destination: 554 5.7.1
$client 2525 127.0.0.9 probe.example spammer@example.org victim@example.net,victim3@example.org || true
# open relay with a warning only: reject_warning, then accepted and sent
postconf -c "$pf/etc" -e 'mynetworks = 0.0.0.0/0' \
  'smtpd_relay_restrictions = warn_if_reject reject_unauth_destination, permit_mynetworks, reject_unauth_destination'
postfix -c "$pf/etc" reload >/dev/null 2>&1; sleep 1
$client 2525 127.0.0.9 abuser.example spammer@example.org victim@example.net,postmaster@pf.lab.test || true
sleep 2
cp "$pf/maillog" "$out/postfix-maillog"

# ---- Exim, monolithic: trusted 127.0.0.1 only, an authenticator ----
exim_root=${RELAYGUARD_MTA_ROOT:-/var/cache/relayguard/mta-root}
ex1=$work/ex1
bash "$lab/exim-instance.sh" create "$ex1" 2535 127.0.0.1/32
bash "$lab/sasl-backend.sh" exim-passwd "$work/exim-passwd" "$work/credential"
sed -i "s#^  accept  hosts       = +relay_from_hosts#  accept  authenticated = *\n&#" "$ex1/etc/exim4.conf"
sed -i "s#^begin retry#begin authenticators\nplain_server:\n  driver = plaintext\n  public_name = PLAIN\n  server_prompts = :\n  server_condition = \${if crypteq{\$auth3}{\${extract{1}{:}{\${lookup{\$auth2}lsearch{$work/exim-passwd}{\$value}{*:*}}}}}{1}{0}}\n  server_set_id = \$auth2\n\n&#" "$ex1/etc/exim4.conf"
"$exim_root/usr/sbin/exim4" -C "$ex1/etc/exim4.conf" -bV >/dev/null
bash "$lab/exim-instance.sh" start "$ex1"
$client 2535 127.0.0.9 probe.example a@example.org victim@example.net || true
$client 2535 127.0.0.1 trusted.example a@example.org friend@example.com || true
$client 2535 127.0.0.9 probe.example a@example.org postmaster@ex1.lab.test || true
$client 2535 127.0.0.9 guesser.example a@example.org x@example.net --bad-auth "$sasl_user" || true
$client 2535 127.0.0.9 roaming.example a@example.org far@example.com --auth "$sasl_user:$work/credential" || true
sleep 1
cp "$ex1/log/mainlog" "$out/exim-monolithic-mainlog"

# ---- Exim, monolithic, open relay, with [pid], zone and client port in its log ----
ex2=$work/ex2
bash "$lab/exim-instance.sh" create "$ex2" 2536
sed -i 's#^local_interfaces   = 127.0.0.1#&\nlog_selector = +pid +incoming_port\nlog_timezone = true#' "$ex2/etc/exim4.conf"
bash "$lab/exim-instance.sh" start "$ex2"
$client 2536 127.0.0.9 abuser.example spammer@example.org victim@example.net,victim2@example.org || true
sleep 1
cp "$ex2/log/mainlog" "$out/exim-open-mainlog"

# ---- Exim, Debian's split configuration (the packaged ACL's refusal), relay_nets 127.0.0.1 ----
ex3=$work/ex3
bash "$lab/exim-instance.sh" create-debian "$ex3" 2537 127.0.0.1/32
bash "$lab/exim-instance.sh" start "$ex3"
$client 2537 127.0.0.9 probe.example a@example.org victim@example.net || true
sleep 1
cp "$ex3/log/mainlog" "$out/exim-debian-mainlog"
echo "capture.sh: logs in $out"
