#!/bin/bash
# The single-host demo (no controller): a local demo a person can follow. A sandboxed real Postfix on loopback is
# opened as a relay; the probe shows relaying accepted from an untrusted address; `apply` closes
# it; the probe shows it refused while the trusted sender still relays; `history`; `rollback`;
# open again. Nothing outside /tmp/relayguard-demo.* is touched; only 127.0.0.0/8 is used.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/deploy/install_deps.sh"
echo "== building relayguard-agent"
bash "$root/deploy/build.sh" --target relayguard-agent
agent_bin=${BUILD_DIR:-$root/build}/agent/relayguard-agent
lab=$root/deploy/lab/postfix-instance.sh

demo=$(mktemp -d /tmp/relayguard-demo.XXXXXX)
chmod 755 "$demo"
trap 'bash "$lab" destroy "$demo/mx1" >/dev/null 2>&1 || true' EXIT
port=0
for candidate in $(shuf -i 20000-60000 -n 50); do
  ss -Hltn "sport = :$candidate" | grep -q . || { port=$candidate; break; }
done
[ "$port" -ne 0 ] || { echo "demo: no free port found" >&2; exit 1; }

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "relayguard-agent ${*}"; }
agent() {
  local rc=0
  "$agent_bin" --mta postfix --mta-config-dir "$demo/mx1/etc" --state-dir "$demo/state" "$@" || rc=$?
  echo "(exit code $rc)"
}

step "1. A sandboxed Postfix on 127.0.0.1:$port, configured as an OPEN RELAY (mynetworks = 0.0.0.0/0)"
bash "$lab" create "$demo/mx1" "$port" 0.0.0.0/0
bash "$lab" start "$demo/mx1"
grep -E '^(mynetworks|smtpd_relay_restrictions)' -A2 "$demo/mx1/etc/main.cf" | sed 's/^/    /'

step "2. Probe from the untrusted address 127.0.0.9: relaying to a foreign domain is ACCEPTED"
show status; agent status

step "3. What the policy would change (dry run: nothing is touched)"
show apply --policy playbooks/no-open-relay.yaml --dry-run
agent apply --policy "$root/playbooks/no-open-relay.yaml" --dry-run

step "4. Apply: backup in git, edit, validate, reload, verify from the untrusted address"
show apply --policy playbooks/no-open-relay.yaml
agent apply --policy "$root/playbooks/no-open-relay.yaml"

step "5. Probe again: REFUSED from 127.0.0.9, while the trusted 127.0.0.1 still relays"
show status --policy playbooks/no-open-relay.yaml
agent status --policy "$root/playbooks/no-open-relay.yaml"

step "6. Apply again: idempotent, nothing changes, nothing reloads"
agent apply --policy "$root/playbooks/no-open-relay.yaml"

step "7. History of backup commits (git, under the state dir)"
show history; agent history

step "8. One-command rollback to the configuration before the apply"
show rollback; agent rollback

step "9. Probe again: the relay is OPEN again, byte for byte the original configuration"
show status; agent status
git -C "$demo/state/backup" log --format='    %h %s' | head -5

step "Done. The sandbox in $demo is removed on exit."
