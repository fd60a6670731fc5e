#!/bin/bash
# The main command: the fleet demo. A controller and five agents, each with its own real,
# sandboxed MTA on loopback (three Postfix, one Exim, one Sendmail), all open relays; mTLS
# certificates made on the spot. A rollout in waves closes every relay and verifies each host;
# scheduled compliance catches a relay re-opened by hand and closes it again; each agent's log
# monitor counts an attacker's refused relay attempts, and sees a relay abused between two daily
# checks in the log and has it closed at once (Sendmail logs through a small syslog daemon on
# the sandbox's private /dev/log); one command rolls
# the whole rollout back; the relays are open again. Before that, one host of each MTA is made
# to relay only for SMTP AUTH users, with a real SASL backend each (Dovecot for Postfix, a
# password file for Exim, sasldb2 for Sendmail), checked before and proven after the change
# (the shipped require-auth playbook is refused, with the reason, where there is no backend).
# At the end it prints the dashboard's address and a login (RELAYGUARD_DEMO_KEEP=1 keeps the
# demo running to click around in it).
# Only 127.0.0.0/8 is used;
# everything lives in /tmp/relayguard-fleet.* and is removed on exit. Exim and Sendmail run from
# the unpacked packages inside tests/support/mta_sandbox.sh (a private /etc; the real one is
# never changed). (deploy/agent-demo.sh shows one host without a controller.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "${RELAYGUARD_IN_MTA_SANDBOX:-}" != 1 ]; then
  bash "$root/deploy/install_deps.sh"
  echo "== building relayguard"
  bash "$root/deploy/build.sh" --target relayguard-agent relayguard-controller relayguardctl \
    rg-syslog-sink
  exec bash "$root/tests/support/mta_sandbox.sh" bash "$0" "$@"
fi
mta_root=${RELAYGUARD_MTA_ROOT:-/var/cache/relayguard/mta-root}
hosts=(mx1 mx2 mx3 mx4 mx5)
declare -A kind=([mx1]=postfix [mx2]=postfix [mx3]=postfix [mx4]=exim [mx5]=sendmail)
lab_script() { echo "$root/deploy/lab/${kind[$1]}-instance.sh"; }
managed() {  # the files relayguard manages on host $1
  case ${kind[$1]} in
    postfix) echo "$demo/$1/etc/main.cf $demo/$1/etc/master.cf" ;;
    exim) echo "$demo/$1/etc/exim4.conf" ;;
    sendmail) echo "$demo/$1/etc/sendmail.mc $demo/$1/etc/sendmail.cf $demo/$1/etc/access" ;;
  esac
}
mta_config() {  # the MTA keys of host $1's agent.yaml (deploy/etc/agent.yaml lists them all)
  echo "mta: ${kind[$1]}"
  case ${kind[$1]} in
    exim) echo "mta_bin_dir: $mta_root/usr/sbin" ;;
    sendmail) echo "mta_bin_dir: $mta_root/usr/libexec/sendmail"
              echo "sendmail_cf_dir: $mta_root/usr/share/sendmail/cf" ;;
  esac
}
bin=${BUILD_DIR:-$root/build}
demo=$(mktemp -d /tmp/relayguard-fleet.XXXXXX)
chmod 755 "$demo"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  bash "$root/deploy/lab/sasl-backend.sh" dovecot-stop "$demo/sasl/dovecot" >/dev/null 2>&1 || true
  for h in "${hosts[@]}"; do bash "$(lab_script "$h")" destroy "$demo/$h" >/dev/null 2>&1 || true; done
  rm -rf "$demo"
}
trap cleanup EXIT
free_port() {
  local p
  for p in $(shuf -i 20000-60000 -n 100); do
    ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
  echo "demo: no free port" >&2; exit 1
}
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
certs=$demo/certs
ctl() { "$bin/controller/relayguardctl" --controller "127.0.0.1:$cport" --ca "$certs/ca.crt" \
          --cert "$certs/operator-demo.crt" --key "$certs/operator-demo.key" "$@"; }
probe_all() {
  local h
  for h in "${hosts[@]}"; do
    printf '  %s (%s): ' "$h" "${kind[$h]}"
    "$bin/agent/relayguard-agent" probe --smtp "127.0.0.1:${port[$h]}" --from 127.0.0.9 | head -1 || true
    if [ "$h" = mx2 ]; then
      printf '  %s second port: ' "$h"
      "$bin/agent/relayguard-agent" probe --smtp "127.0.0.1:$mx2_second" --from 127.0.0.9 | head -1 || true
    fi
  done
}

step "1. Certificates for mTLS: a CA, the controller, five agents (CN = host), one operator"
bash "$root/deploy/make-certs.sh" "$certs" --agent mx1 --agent mx2 --agent mx3 --agent mx4 \
  --agent mx5 --operator demo

step "2. Five sandboxed MTAs on 127.0.0.1, all OPEN RELAYS: Postfix (mynetworks = 0.0.0.0/0; mx2 also a second port with its own -o mynetworks=0.0.0.0/0), Exim (relay_from_hosts = 0.0.0.0/0), Sendmail (FEATURE(promiscuous_relay))"
# Sendmail logs only through syslog: a small syslog daemon on this sandbox's private /dev/log
# writes what rsyslog would write to /var/log/mail.log (Debian 12's RFC 3339 lines).
mkdir -p "$demo/syslog"
"$bin/tests/rg-syslog-sink" --socket /dev/log --out "$demo/syslog/mail.log" \
  > "$demo/syslog/sink.log" 2>&1 &
pids+=($!)
for i in $(seq 1 100); do [ -S /dev/log ] && break; sleep 0.05; done
declare -A port
for h in "${hosts[@]}"; do
  port[$h]=$(free_port)
  case ${kind[$h]} in
    postfix) bash "$(lab_script "$h")" create "$demo/$h" "${port[$h]}" 0.0.0.0/0 ;;
    exim) bash "$(lab_script "$h")" create "$demo/$h" "${port[$h]}" 0.0.0.0/0 ;;
    sendmail) bash "$(lab_script "$h")" create "$demo/$h" "${port[$h]}" open 2>/dev/null ;;
  esac
  if [ "$h" = mx2 ]; then
    # A real host's second door: another smtpd listener whose own override trusts everyone.
    mx2_second=$(free_port)
    printf '%s\n%s\n' "127.0.0.1:$mx2_second inet n - n - - smtpd" \
      "  -o syslog_name=postfix/second -o mynetworks=0.0.0.0/0" >> "$demo/mx2/etc/master.cf"
  fi
  if [ "$h" = mx3 ]; then
    # mx3 offers STARTTLS (a self-signed certificate): SMTP AUTH goes behind it (step 10).
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=mx3.lab.test \
      -keyout "$demo/mx3/etc/tls-key.pem" -out "$demo/mx3/etc/tls-cert.pem" 2>/dev/null
    postconf -c "$demo/mx3/etc" -e "smtpd_tls_security_level = may" \
      "smtpd_tls_cert_file = $demo/mx3/etc/tls-cert.pem" "smtpd_tls_key_file = $demo/mx3/etc/tls-key.pem"
    postconf -c "$demo/mx3/etc" -M "tlsmgr/unix=tlsmgr unix - - n 1000? 1 tlsmgr"
  fi
  bash "$(lab_script "$h")" start "$demo/$h"
  mkdir -p "$demo/$h.before"
  for f in $(managed "$h"); do cp -p "$f" "$demo/$h.before/"; done
  echo "  $h: ${kind[$h]} on 127.0.0.1:${port[$h]}"
done
echo "  mx2 also listens on 127.0.0.1:$mx2_second (master.cf: smtpd -o mynetworks=0.0.0.0/0)"

step "3. The controller (mTLS) and one agent per host, each dialing the controller"
cport=$(free_port)
mport=$(free_port)
wport=$(free_port)
# The shipped playbooks, and one for the demo that checks every 5 s (a real fleet: minutes).
mkdir -p "$demo/playbooks"
cp "$root"/playbooks/*.yaml "$demo/playbooks/"
sed -e 's/^name: no-open-relay$/name: no-open-relay-checked/' \
    -e 's/^description: .*/description: "no-open-relay, checked every 5 s and enforced (demo)"/' \
    "$root/playbooks/no-open-relay.yaml" > "$demo/playbooks/no-open-relay-checked.yaml"
printf 'compliance:\n  schedule: "@every 5s"\n  mode: enforce\n' >> "$demo/playbooks/no-open-relay-checked.yaml"
# And one checked once a day (03:00), enforced: between two checks only the log monitor watches.
sed -e 's/^name: no-open-relay$/name: no-open-relay-daily/' \
    -e 's/^description: .*/description: "no-open-relay, checked daily at 03:00 and enforced (demo)"/' \
    "$root/playbooks/no-open-relay.yaml" > "$demo/playbooks/no-open-relay-daily.yaml"
printf 'compliance:\n  schedule: "0 3 * * *"\n  mode: enforce\n' >> "$demo/playbooks/no-open-relay-daily.yaml"
# require-auth for one host of each MTA, each with its own SASL backend (started in step 10);
# the smoke credentials are root-only files, never in a playbook.
mkdir -p "$demo/sasl/dovecot"
require_auth_playbook() {  # HOST BACKEND PATH TLS_ONLY
  cat > "$demo/playbooks/require-auth-$1.yaml" <<PLAYBOOK
name: require-auth-$1
version: 1
description: "Relay only for SMTP AUTH users ($2 backend)"
relay:
  trusted_networks: [127.0.0.1/32]
  require_auth: true
auth:
  backend: $2
  path: $3
  mechanisms: [PLAIN, LOGIN]
  tls_only: $4
  smoke_credential: $demo/sasl/smoke-$1
probe:
  untrusted_source: 127.0.0.9
  trusted_source: 127.0.0.1
PLAYBOOK
}
require_auth_playbook mx3 dovecot "$demo/sasl/dovecot/auth-client" true
# The demo's Exim and Sendmail have no certificate, so AUTH is offered on plaintext there; a
# real host keeps tls_only: true.
require_auth_playbook mx4 password-file "$demo/sasl/exim-passwd" false
require_auth_playbook mx5 sasldb "$demo/sasl/sasldb2" false
# The daemons read configuration files (what /etc/relayguard/*.yaml would hold on real hosts).
mkdir -p "$demo/etc"
cat > "$demo/etc/controller.yaml" <<CONF
listen: 127.0.0.1:$cport
playbooks: $demo/playbooks
state_dir: $demo/controller
ca: $certs/ca.crt
cert: $certs/controller.crt
key: $certs/controller.key
log_level: warn
metrics_listen: 127.0.0.1:$mport
web_listen: 127.0.0.1:$wport
CONF
for h in "${hosts[@]}"; do
  { mta_config "$h"
    cat <<CONF
mta_config_dir: $demo/$h/etc
state_dir: $demo/$h/state
controller: 127.0.0.1:$cport
host: $h
labels:
  site: demo
ca: $certs/ca.crt
cert: $certs/agent-$h.crt
key: $certs/agent-$h.key
metrics_file: $demo/$h/relayguard-agent.prom
monitor_report_s: 5
CONF
    # The log monitor finds Postfix's maillog_file and Exim's log_file_path itself; Sendmail
    # logs through syslog, to the file rsyslog would write.
    if [ "${kind[$h]}" = sendmail ]; then echo "monitor_log: $demo/syslog/mail.log"; fi
  } > "$demo/etc/agent-$h.yaml"
done
echo "\$ relayguard-controller --config controller.yaml config check"
"$bin/controller/relayguard-controller" --config "$demo/etc/controller.yaml" config check
"$bin/controller/relayguard-controller" --config "$demo/etc/controller.yaml" \
  > "$demo/controller.log" 2>&1 &
pids+=($!)
echo "\$ relayguard-agent --config agent-mx4.yaml config check"
"$bin/agent/relayguard-agent" --config "$demo/etc/agent-mx4.yaml" config check
for h in "${hosts[@]}"; do
  "$bin/agent/relayguard-agent" --config "$demo/etc/agent-$h.yaml" run > "$demo/$h/agent.log" 2>&1 &
  pids+=($!)
done
for i in $(seq 1 50); do
  [ "$(ctl hosts 2>/dev/null | grep -c ' online ')" = ${#hosts[@]} ] && break
  sleep 0.2
done
echo '$ relayguardctl hosts'; ctl hosts
# A dashboard account for this demo, with a password made now (printed at the end).
web_password=$(openssl rand -base64 15 | tr -d '/+=' | cut -c1-16)
echo '$ relayguardctl users add demo --role admin --password-stdin'
printf '%s\n' "$web_password" | ctl users add demo --role admin --password-stdin

step "4. Probe each host from the untrusted address 127.0.0.9: relaying is ACCEPTED"
probe_all
echo '$ relayguard-agent check --policy playbooks/no-open-relay.yaml    # on mx2: every listener, every override'
"$bin/agent/relayguard-agent" --mta postfix --mta-config-dir "$demo/mx2/etc" \
  --state-dir "$demo/mx2/check-state" check --policy "$root/playbooks/no-open-relay.yaml" | head -12 || true

step "5. Roll out playbooks/no-open-relay.yaml in waves (1 host, then the rest), budget 0"
echo '$ relayguardctl rollout start no-open-relay --label site=demo --waves 1,100% --wait'
ctl rollout start no-open-relay --label site=demo --waves 1,100% --budget 0 --wait

step "6. Every host verified closed on every listener: relaying from 127.0.0.9 is REFUSED"
probe_all
ctl hosts

step "7. Scheduled compliance: roll out no-open-relay-checked (the same relay policy, checked every 5 s, mode enforce)"
echo '$ relayguardctl rollout start no-open-relay-checked --label site=demo --wait'
ctl rollout start no-open-relay-checked --label site=demo --wait
for i in $(seq 1 60); do
  [ "$(ctl compliance --csv 2>/dev/null | grep -c ',compliant,')" = ${#hosts[@]} ] && break
  sleep 0.5
done
echo '$ relayguardctl compliance'; ctl compliance || true

step "8. An admin re-opens mx1's relay by hand (postconf -e 'mynetworks = 0.0.0.0/0'; postfix reload)"
bash "$(lab_script mx1)" open "$demo/mx1"
for i in $(seq 1 20); do  # until the reload takes (unless mx1's agent is faster)
  "$bin/agent/relayguard-agent" probe --smtp "127.0.0.1:${port[mx1]}" --from 127.0.0.9 >/dev/null || break
  sleep 0.2
done
"$bin/agent/relayguard-agent" probe --smtp "127.0.0.1:${port[mx1]}" --from 127.0.0.9 | head -1 || true

step "9. mx1's next scheduled check finds the open relay and the changed main.cf, and enforces the policy again"
for i in $(seq 1 60); do
  ctl compliance --history --host mx1 --json 2>/dev/null | grep -q '"enforcement":"ENFORCEMENT_APPLIED"' && break
  sleep 0.5
done
if ! ctl compliance --history --host mx1 --json | grep -q '"enforcement":"ENFORCEMENT_APPLIED"'; then
  echo "demo: mx1 was not enforced; its agent log:" >&2; tail -20 "$demo/mx1/agent.log" >&2; exit 1
fi
echo '$ relayguardctl compliance --history --host mx1'; ctl compliance --history --host mx1 || true
echo '$ relayguardctl compliance --host mx1 --diff'; ctl compliance --host mx1 --diff || true
"$bin/agent/relayguard-agent" probe --smtp "127.0.0.1:${port[mx1]}" --from 127.0.0.9 | head -1 || true

step "10. The log monitor: an attacker at 127.0.0.9 tries to relay through mx1 (Postfix), mx4 (Exim) and mx5 (Sendmail); each MTA refuses, each agent counts it in the MTA's log"
for h in mx1 mx4 mx5; do
  for n in 1 2 3 4 5 6; do
    swaks --server "127.0.0.1:${port[$h]}" --local-interface 127.0.0.9 --helo attacker.example \
      --from spam@example.org --to "victim$n@example.net" --quit-after RCPT >/dev/null 2>&1 || true
  done
  echo "  $h: 6 relay attempts from 127.0.0.9 refused"
done
for i in $(seq 1 60); do
  [ "$(ctl attempts --since 10m --json 2>/dev/null | grep -o '"source":"127.0.0.9"' | wc -l)" -ge 3 ] && break
  sleep 0.5
done
echo '$ relayguardctl attempts --since 10m'; ctl attempts --since 10m

step "11. A relay abused between two checks: mx2 is checked only daily from now on; an admin re-opens its relay by hand, a spammer at 127.0.0.9 relays a real message through it; mx2's agent sees the delivery in the log, reports mx2 relay-open with the log lines and closes the relay at once"
echo '$ relayguardctl rollout start no-open-relay-daily --hosts mx2 --wait'
ctl rollout start no-open-relay-daily --hosts mx2 --wait
bash "$(lab_script mx2)" open "$demo/mx2"
for i in $(seq 1 20); do  # until the reload takes
  "$bin/agent/relayguard-agent" probe --smtp "127.0.0.1:${port[mx2]}" --from 127.0.0.9 >/dev/null || break
  sleep 0.2
done
echo "\$ swaks --server 127.0.0.1:${port[mx2]} --local-interface 127.0.0.9 --from spam@example.org --to victim@example.net"
swaks --server "127.0.0.1:${port[mx2]}" --local-interface 127.0.0.9 --helo spammer.example \
  --from spam@example.org --to victim@example.net --body "relayguard demo: relayed spam" 2>&1 |
  grep -E '^ *<- *250 .*queued' | sed 's/^/  /' || true
for i in $(seq 1 120); do
  ctl compliance --history --host mx2 --json 2>/dev/null | grep -q '"enforcement":"ENFORCEMENT_APPLIED"' && break
  sleep 0.5
done
if ! ctl compliance --history --host mx2 --json | grep -q 'relay-seen'; then
  echo "demo: mx2's relay was not alarmed; its agent log:" >&2; tail -20 "$demo/mx2/agent.log" >&2; exit 1
fi
echo '$ relayguardctl compliance --history --host mx2 --limit 4    # with the evidence: the log lines'
ctl compliance --history --host mx2 --limit 4 || true
"$bin/agent/relayguard-agent" probe --smtp "127.0.0.1:${port[mx2]}" --from 127.0.0.9 | head -1 || true

step "12. Require SMTP AUTH on one host of each MTA (mx3 Postfix + Dovecot, mx4 Exim + password file, mx5 Sendmail + sasldb2)"
echo '$ relayguardctl rollout start require-auth --hosts mx3 --wait    # the shipped playbook: no Dovecot socket at its path here'
ctl rollout start require-auth --hosts mx3 --wait || true
sasl() { bash "$root/deploy/lab/sasl-backend.sh" "$@"; }
for h in mx3 mx4 mx5; do sasl credential "$demo/sasl/smoke-$h" "smoke@lab.test"; done
sasl dovecot-start "$demo/sasl/dovecot" "$demo/sasl/dovecot/auth-client" "$demo/sasl/smoke-mx3"
sasl exim-passwd "$demo/sasl/exim-passwd" "$demo/sasl/smoke-mx4"
sasl sasldb "$demo/sasl/sasldb2" "$demo/sasl/smoke-mx5"
echo "  backends: Dovecot auth-only on $demo/sasl/dovecot/auth-client, $demo/sasl/exim-passwd, $demo/sasl/sasldb2"
for h in mx3 mx4 mx5; do
  echo "\$ relayguardctl rollout start require-auth-$h --hosts $h --wait"
  ctl rollout start "require-auth-$h" --hosts "$h" --wait
done
echo '$ relayguard-agent check --policy require-auth-mx3.yaml    # on mx3: AUTH only after STARTTLS, smoke AUTH relays, bogus AUTH refused'
"$bin/agent/relayguard-agent" --mta postfix --mta-config-dir "$demo/mx3/etc" \
  --state-dir "$demo/mx3/check-state" check --policy "$demo/playbooks/require-auth-mx3.yaml" |
  grep -E 'COMPLIANT|SMTP AUTH|smoke|wrong-password|random-plain' | head -8 || true
echo '$ relayguardctl scan --auth --from 127.0.0.9 127.0.0.1:<mx3> 127.0.0.1:<mx4> 127.0.0.1:<mx5>    # no host accepts bogus AUTH'
"$bin/controller/relayguardctl" scan --auth --from 127.0.0.9 "127.0.0.1:${port[mx3]}" \
  "127.0.0.1:${port[mx4]}" "127.0.0.1:${port[mx5]}" || true

step "13. One command rolls the whole first rollout back (each agent restores its git backup from before it, reloads, verifies)"
echo '$ relayguardctl rollback --rollout r-000001'
ctl rollback --rollout r-000001

step "14. The relays are open again, byte for byte the configuration from before"
probe_all
for h in "${hosts[@]}"; do
  for f in $(managed "$h"); do
    if ! cmp -s "$demo/$h.before/$(basename "$f")" "$f"; then
      echo "  $h: $f DIFFERS from the one before the rollout" >&2; exit 1
    fi
  done
  echo "  $h: $(for f in $(managed "$h"); do printf '%s ' "$(basename "$f")"; done)byte-identical to before the rollout"
done
ctl hosts
echo '$ relayguardctl audit'; ctl audit

step "15. What Prometheus scrapes: the controller's http://127.0.0.1:$mport/metrics and an agent's textfile (the non-zero series)"
curl -sf "http://127.0.0.1:$mport/metrics" > "$demo/metrics.txt"
grep -E '^relayguard_(agents|rollouts|compliance_hosts|enforce_holds|commands_sent_total|agent_answers_total|store_call_seconds_count|relay_)' \
  "$demo/metrics.txt" | grep -v ' 0$' | sed 's/^/  /'
echo "\$ promtool check metrics < metrics.txt"
promtool check metrics < "$demo/metrics.txt" && echo "  ok"
echo "\$ cat mx2/relayguard-agent.prom    # the agent's node_exporter textfile (its non-zero series)"
grep -v '^#' "$demo/mx2/relayguard-agent.prom" | grep -v ' 0$' | sed 's/^/  /'
promtool check metrics < "$demo/mx2/relayguard-agent.prom" && echo "  promtool: ok"
step "16. The dashboard: https://127.0.0.1:$wport/ (fleet, rollouts with live progress, one-click rollback, plan, compliance, audit)"
# The same operator API as relayguardctl, as JSON over HTTPS with a session cookie.
jar=$demo/web-cookies
curl -sf --cacert "$certs/ca.crt" -c "$jar" -H 'Content-Type: application/json' \
  --data-binary @- "https://127.0.0.1:$wport/api/login" > /dev/null <<JSON
{"user": "demo", "password": "$web_password"}
JSON
echo "\$ curl https://127.0.0.1:$wport/api/hosts    # logged in as demo (admin)"
curl -sf --cacert "$certs/ca.crt" -b "$jar" "https://127.0.0.1:$wport/api/hosts" |
  python3 -c 'import json,sys; [print("  %-4s %-9s %-8s %s v%s" % (h["name"], h["mta"], "online" if h["online"] else "offline", h["applied_policy"] or "-", h["applied_version"])) for h in json.load(sys.stdin)["hosts"]]'
echo "\$ relayguardctl audit | grep 'web login'"
ctl audit | grep 'web login' | sed 's/^/  /'
echo
echo "  Dashboard:  https://127.0.0.1:$wport/   (certificate signed by the demo CA $certs/ca.crt;"
echo "              the browser warns, as it does not know that CA)"
echo "  Login:      demo / $web_password   (role admin; this demo's account only)"
if [ "${RELAYGUARD_DEMO_KEEP:-0}" = 1 ]; then
  echo "  The demo keeps running so you can click around: roll out, roll back, watch it live."
  echo "  From another machine: ssh -L $wport:127.0.0.1:$wport THIS-HOST, then open the address."
  echo "  Press Ctrl-C to end it (everything is removed)."
  while sleep 3600; do :; done
else
  echo "  To keep the demo running and click around: RELAYGUARD_DEMO_KEEP=1 bash deploy/demo.sh"
fi
step "Done. Everything under $demo is removed on exit."
