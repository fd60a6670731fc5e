#!/bin/bash
# The main command: the fleet demo. A controller and three agents, each with its own real,
# sandboxed Postfix on loopback, all open relays; mTLS certificates made on the spot. A rollout
# in waves closes every relay and verifies each host; one command rolls the whole rollout back;
# the relays are open again. Only 127.0.0.0/8 is used; everything lives in /tmp/relayguard-fleet.*
# and is removed on exit. (deploy/agent-demo.sh shows one host without a controller.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/deploy/install_deps.sh"
echo "== building relayguard"
bash "$root/deploy/build.sh" --target relayguard-agent relayguard-controller relayguardctl
bin=${BUILD_DIR:-$root/build}
lab=$root/deploy/lab/postfix-instance.sh
demo=$(mktemp -d /tmp/relayguard-fleet.XXXXXX)
chmod 755 "$demo"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for h in mx1 mx2 mx3; do bash "$lab" destroy "$demo/$h" >/dev/null 2>&1 || true; done
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
  for h in mx1 mx2 mx3; do
    printf '  %s: ' "$h"
    "$bin/agent/relayguard-agent" probe --smtp "127.0.0.1:${port[$h]}" --from 127.0.0.9 | head -1 || true
  done
}

step "1. Certificates for mTLS: a CA, the controller, three agents (CN = host), one operator"
bash "$root/deploy/make-certs.sh" "$certs" --agent mx1 --agent mx2 --agent mx3 --operator demo

step "2. Three sandboxed Postfix instances on 127.0.0.1, all OPEN RELAYS (mynetworks = 0.0.0.0/0)"
declare -A port
for h in mx1 mx2 mx3; do
  port[$h]=$(free_port)
  bash "$lab" create "$demo/$h" "${port[$h]}" 0.0.0.0/0
  bash "$lab" start "$demo/$h"
  cp -p "$demo/$h/etc/main.cf" "$demo/$h.main.cf.before"
  echo "  $h: postfix on 127.0.0.1:${port[$h]}"
done

step "3. The controller (mTLS) and one agent per host, each dialing the controller"
cport=$(free_port)
"$bin/controller/relayguard-controller" --listen "127.0.0.1:$cport" --playbooks "$root/playbooks" \
  --state-dir "$demo/controller" --ca "$certs/ca.crt" --cert "$certs/controller.crt" \
  --key "$certs/controller.key" --log-level warn > "$demo/controller.log" 2>&1 &
pids+=($!)
for h in mx1 mx2 mx3; do
  "$bin/agent/relayguard-agent" --mta-config-dir "$demo/$h/etc" --state-dir "$demo/$h/state" \
    run --controller "127.0.0.1:$cport" --host "$h" --label site=demo --ca "$certs/ca.crt" \
    --cert "$certs/agent-$h.crt" --key "$certs/agent-$h.key" > "$demo/$h/agent.log" 2>&1 &
  pids+=($!)
done
for i in $(seq 1 50); do
  [ "$(ctl hosts 2>/dev/null | grep -c ' online ')" = 3 ] && break
  sleep 0.2
done
echo '$ relayguardctl hosts'; ctl hosts

step "4. Probe each host from the untrusted address 127.0.0.9: relaying is ACCEPTED"
probe_all

step "5. Roll out playbooks/no-open-relay.yaml in waves (1 host, then the rest), budget 0"
echo '$ relayguardctl rollout start no-open-relay --label site=demo --waves 1,100% --wait'
ctl rollout start no-open-relay --label site=demo --waves 1,100% --budget 0 --wait

step "6. Every host verified closed: relaying from 127.0.0.9 is REFUSED"
probe_all
ctl hosts

step "7. One command rolls the whole rollout back (each agent restores its git backup from before the rollout, reloads, verifies)"
echo '$ relayguardctl rollback --rollout r-000001'
ctl rollback --rollout r-000001

step "8. The relays are open again, byte for byte the configuration from before"
probe_all
for h in mx1 mx2 mx3; do
  if cmp -s "$demo/$h.main.cf.before" "$demo/$h/etc/main.cf"; then
    echo "  $h: main.cf is byte-identical to the one before the rollout"
  else
    echo "  $h: main.cf DIFFERS from the one before the rollout" >&2; exit 1
  fi
done
ctl hosts
echo '$ relayguardctl audit'; ctl audit
step "Done. Everything under $demo is removed on exit."
