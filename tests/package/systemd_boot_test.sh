#!/bin/bash
# The units under a real systemd (ctest label `package`, run as root by tests/run_all.sh after
# package_test, whose .debs it installs): an overlay of the cached debootstrap'ed Debian 12 root
# with the packages installed is booted with systemd-nspawn (systemd as PID 1, a private network:
# only the container's own loopback), and what only a real service manager shows is checked:
#  1. both units start, Type=notify: "active" only after READY=1, with the STATUS= text;
#  2. the controller answers relayguardctl and the agent comes online, both as their units run
#     them (the controller as `relayguard`, every hardening setting in force);
#  3. a rollout through the units: the hardened agent edits /etc/postfix, reloads the real
#     Postfix and proves the relay closed (ProtectSystem=strict with its ReadWritePaths is
#     enough to do the job); the metrics file lands in the node_exporter directory;
#  4. systemctl reload (ExecReload) of both: same PID, still active;
#  5. journald: the daemons' lines carry no timestamp of their own, and a warning is stored
#     with PRIORITY 4;
#  6. the watchdog: a controller frozen with SIGSTOP is killed and restarted by systemd
#     (WatchdogSec, shortened by a drop-in to keep the test quick), while a running one is not;
#  7. systemd-analyze security on the running units; systemctl stop ends both cleanly.
#   systemd_boot_test.sh [DEBS_DIR]    (as root; DEBS_DIR: package_test's .debs, else built)
set -euo pipefail
root_dir=$(cd "$(dirname "$0")/../.." && pwd)
cache=${RELAYGUARD_DEBOOTSTRAP_ROOT:-/var/cache/relayguard/debootstrap-bookworm}
export RELAYGUARD_BOOT_TEST_START=${RELAYGUARD_BOOT_TEST_START:-$(date +%s)}
say() { printf '[systemd %3ds] %s\n' $(($(date +%s) - RELAYGUARD_BOOT_TEST_START)) "$*"; }
fail() { echo "systemd_boot_test: FAILED: $*" >&2; exit 1; }

if [ "${1:-}" != --in-namespace ]; then
  [ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, mounts, systemd-nspawn)"
  command -v systemd-nspawn > /dev/null || fail "no systemd-nspawn (deploy/install_deps.sh installs systemd-container)"
  work=$(mktemp -d /tmp/relayguard-boottest.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  debs_dir=${1:-}
  if [ -z "$debs_dir" ] || ! ls "$debs_dir"/relayguard-agent_*.deb > /dev/null 2>&1; then
    say "building the packages (deploy/build-debs.sh)"
    bash "$root_dir/deploy/build-debs.sh" "$work/debs" | sed 's/^/  /'
    debs_dir=$work/debs
  fi
  debs=()
  for p in relayguard-agent relayguard-controller relayguardctl; do
    f=$(ls "$debs_dir"/${p}_*.deb 2>/dev/null | head -1)
    [ -n "$f" ] || fail "no $p package in $debs_dir"
    debs+=("$f")
  done
  say "the Debian 12 root ($cache)"
  bash "$root_dir/tests/package/bookworm_root.sh" "$cache" --for-debs "${debs[@]}" | sed 's/^/  /'
  unshare -m --propagation private bash "$0" --in-namespace "$work" "${debs[@]}"
  say "passed"
  exit 0
fi

# --- inside a private mount namespace: the overlay root, gone when the namespace ends --------
work=$2; shift 2
debs=("$@")
root=$work/root
mkdir -p "$work/upper" "$work/overlay-work" "$root"
mount -t overlay overlay -o "lowerdir=$cache,upperdir=$work/upper,workdir=$work/overlay-work" "$root"
mkdir -p "$root/root/debs"
cp "${debs[@]}" "$root/root/debs/"
# An open relay for the agent to close: Debian's "Local only" Postfix with the error transports
# removed and every network trusted; IPv4 only (the stock playbook has no IPv6 probe source).
chroot "$root" postconf -e inet_protocols=ipv4 'mynetworks = 0.0.0.0/0'
chroot "$root" postconf -X default_transport relay_transport
# The node_exporter textfile directory the agent writes its metrics to.
mkdir -p "$root/var/lib/prometheus/node-exporter"

nspawn_pid=
cleanup() {
  [ -n "$nspawn_pid" ] || return 0
  kill -TERM "$nspawn_pid" 2>/dev/null || true   # nspawn powers the container off
  for _ in $(seq 1 100); do kill -0 "$nspawn_pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$nspawn_pid" 2>/dev/null || true
}
trap cleanup EXIT
say "boot the root with systemd-nspawn (private network)"
systemd-nspawn -q -D "$root" --boot --private-network --register=no --keep-unit \
  > "$work/console.log" 2>&1 &
nspawn_pid=$!
leader=
for _ in $(seq 1 100); do
  leader=$(pgrep -P "$nspawn_pid" -x systemd || true)
  [ -n "$leader" ] && break
  kill -0 "$nspawn_pid" 2>/dev/null || { cat "$work/console.log" >&2; fail "systemd-nspawn exited"; }
  sleep 0.1
done
[ -n "$leader" ] || fail "no systemd in the container"
# ct CMD...: run CMD inside the container (all its namespaces), with a clean environment.
ct() { nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
state=
for _ in $(seq 1 300); do   # until systemd answers on its bus, then until it has booted
  state=$(ct systemctl is-system-running --wait 2>&1 || true)
  case "$state" in running|degraded) break ;; esac
  sleep 0.1
done
case "$state" in
  running|degraded) echo "  systemd is PID 1 in the container: $state" ;;
  *) ct systemctl --failed --no-pager >&2 || true; fail "the container did not boot: $state" ;;
esac

say "apt install ./relayguard-*.deb; configure like the README's Install section"
ct sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q /root/debs/*.deb' \
  > "$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "apt-get install failed"; }
ct sh -c 'bash /usr/share/relayguard/make-certs.sh /root/certs --agent mx1.boot.test --operator boot >/dev/null &&
  cd /root/certs && cp ca.crt controller.crt controller.key /etc/relayguard/ &&
  cp agent-mx1.boot.test.crt /etc/relayguard/agent.crt && cp agent-mx1.boot.test.key /etc/relayguard/agent.key &&
  chown relayguard:relayguard /etc/relayguard/controller.key && chmod 600 /etc/relayguard/*.key'
sed -i -e 's/^# controller: .*/controller: 127.0.0.1:7443/' -e 's/^# host: .*/host: mx1.boot.test/' \
  -e 's|^# metrics_file: .*|metrics_file: /var/lib/prometheus/node-exporter/relayguard-agent.prom|' \
  "$root/etc/relayguard/agent.yaml"
grep -q '^metrics_file: /var/lib/prometheus' "$root/etc/relayguard/agent.yaml" ||
  fail "cannot set metrics_file in agent.yaml"
ct systemctl restart postfix
ctl() { ct relayguardctl --controller 127.0.0.1:7443 --ca /etc/relayguard/ca.crt \
          --cert /root/certs/operator-boot.crt --key /root/certs/operator-boot.key "$@"; }
# show UNIT PROPERTY: one property of a unit.
show() { ct systemctl show -p "$2" --value "$1"; }

say "1-2. systemctl start: Type=notify, READY=1, the controller answers, the agent comes online"
for u in relayguard-controller relayguard-agent; do
  ct systemctl start "$u" || { ct journalctl -u "$u" --no-pager >&2; fail "systemctl start $u"; }
  [ "$(show "$u" ActiveState)" = active ] || fail "$u is $(show "$u" ActiveState)"
  echo "  $u: active, pid $(show "$u" MainPID), status \"$(show "$u" StatusText)\""
done
[ "$(show relayguard-controller StatusText)" = "listening on 127.0.0.1:7443" ] ||
  fail "the controller's STATUS= is \"$(show relayguard-controller StatusText)\""
[ "$(ct ps -o user= -p "$(show relayguard-controller MainPID)")" = relayguard ] ||
  fail "the controller does not run as relayguard"
ok=
for _ in $(seq 1 100); do
  ctl hosts 2>/dev/null | grep -q '^mx1.boot.test .* online ' && { ok=1; break; }
  sleep 0.1
done
[ -n "$ok" ] || { ct journalctl -u relayguard-agent --no-pager >&2; fail "the agent is not online"; }
ctl hosts | sed 's/^/  | /'

say "3. a rollout through the units: the hardened agent closes the real Postfix relay"
# The probe exits 1 when the relay is open: its first line is the verdict either way.
probe() { ct relayguard-agent probe --smtp 127.0.0.1:25 --from 127.0.0.9 | head -1 || true; }
probe | grep -q RELAY-ACCEPTED || fail "Postfix in the container is not an open relay: $(probe)"
echo "  before: $(probe)"
out=$(ctl rollout start no-open-relay --hosts mx1.boot.test --wait 2>&1) ||
  { echo "$out" >&2; ct journalctl -u relayguard-agent --no-pager >&2; fail "the rollout failed"; }
echo "$out" | sed 's/^/  | /'
echo "$out" | grep -q 'succeeded' || fail "the rollout did not succeed"
probe | grep -q REFUSED || fail "still relaying after the rollout: $(probe)"
echo "  after:  $(probe)"
ct postconf -h mynetworks | grep -qv '0.0.0.0/0' || fail "main.cf was not changed"
prom=$root/var/lib/prometheus/node-exporter/relayguard-agent.prom
for _ in $(seq 1 50); do grep -q 'last_apply_outcome{outcome="applied"} 1' "$prom" 2>/dev/null && break; sleep 0.1; done
grep -q 'relayguard_agent_last_apply_outcome{outcome="applied"} 1' "$prom" ||
  fail "the agent's metrics file does not show the apply: $(cat "$prom" 2>&1 | head -20)"
echo "  $prom: last apply outcome applied"

say "4. systemctl reload (ExecReload): same PID, still active"
for u in relayguard-controller relayguard-agent; do
  pid=$(show "$u" MainPID)
  ct systemctl reload "$u" || fail "systemctl reload $u"
  [ "$(show "$u" ActiveState)" = active ] && [ "$(show "$u" MainPID)" = "$pid" ] ||
    fail "$u after reload: $(show "$u" ActiveState), pid $(show "$u" MainPID) (was $pid)"
  echo "  $u: reloaded, pid $pid, active"
done
ct journalctl -u relayguard-controller --no-pager -o cat | grep -q 'SIGHUP: .* playbooks loaded' ||
  fail "the controller's journal has no SIGHUP line"

say "5. journald: no timestamp of their own, the level as PRIORITY"
lines=$(ct journalctl -u relayguard-controller -u relayguard-agent -o cat --no-pager _PID="$(show relayguard-controller MainPID)")
[ -n "$lines" ] || fail "no journal lines from the controller"
echo "$lines" | head -3 | sed 's/^/  | /'
! echo "$lines" | grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}' || fail "journal lines carry their own timestamp"
# A warning for sure: the agent's reload with a setting that needs a restart.
sed -i 's|^state_dir: .*|state_dir: /var/lib/relayguard-moved|' "$root/etc/relayguard/agent.yaml"
ct systemctl reload relayguard-agent
sleep 0.5
ct journalctl -u relayguard-agent -p warning -o cat --no-pager | grep -q 'state_dir' ||
  fail "the agent's warning about state_dir is not in the journal at priority warning"
echo "  journalctl -p warning: $(ct journalctl -u relayguard-agent -p warning -o cat --no-pager | grep state_dir | head -1 | cut -c1-110)"
ct journalctl -u relayguard-controller -u relayguard-agent -o json --no-pager |
  python3 -c 'import json,sys
ok = {"info": "6", "warning": "4", "error": "3"}
seen = set()
for line in sys.stdin:
    e = json.loads(line)
    msg = e.get("MESSAGE")
    if not isinstance(msg, str) or e.get("_COMM", "").startswith("systemd"):
        continue
    level = msg.split(" ", 1)[0]
    if level in ok:
        if e.get("PRIORITY") != ok[level]:
            sys.exit("PRIORITY %s for %r" % (e.get("PRIORITY"), msg))
        seen.add(level)
if seen != {"info", "warning"}:
    sys.exit("expected info and warning lines, saw %s" % sorted(seen))
print("  PRIORITY matches the level of every line (" + ", ".join(sorted(seen)) + ")")' 2>&1 ||
  fail "journal priorities"

say "6. the watchdog: a frozen controller is restarted, a running one is not"
mkdir -p "$root/etc/systemd/system/relayguard-controller.service.d"
printf '[Service]\nWatchdogSec=2s\nRestartSec=1s\n' \
  > "$root/etc/systemd/system/relayguard-controller.service.d/test-watchdog.conf"
ct systemctl daemon-reload
ct systemctl restart relayguard-controller
pid=$(show relayguard-controller MainPID)
sleep 5   # more than two watchdog periods
[ "$(show relayguard-controller NRestarts)" = 0 ] && [ "$(show relayguard-controller MainPID)" = "$pid" ] ||
  fail "the watchdog restarted a running controller"
echo "  WatchdogSec=2s, 5 s later: pid $pid, NRestarts 0 (WATCHDOG=1 keeps coming)"
ct kill -STOP "$pid"
for _ in $(seq 1 100); do
  [ "$(show relayguard-controller NRestarts)" = 1 ] && [ "$(show relayguard-controller ActiveState)" = active ] && break
  sleep 0.1
done
[ "$(show relayguard-controller NRestarts)" = 1 ] || fail "the frozen controller was not restarted"
ct journalctl -u relayguard-controller --no-pager -o cat | grep -q 'Watchdog timeout' ||
  fail "no watchdog timeout in the journal"
echo "  SIGSTOP: \"Watchdog timeout\", restarted as pid $(show relayguard-controller MainPID), active"
ok=
for _ in $(seq 1 100); do
  ctl hosts 2>/dev/null | grep -q '^mx1.boot.test .* online ' && { ok=1; break; }
  sleep 0.2
done
[ -n "$ok" ] || fail "the agent did not come back online after the controller's restart"
echo "  the agent reconnected to the restarted controller"

say "7. systemd-analyze security (running units); systemctl stop"
for u in relayguard-controller relayguard-agent; do
  echo "  $u: $(ct systemd-analyze security "$u" --no-pager 2>&1 | grep 'Overall exposure')"
done
for u in relayguard-agent relayguard-controller; do
  ct systemctl stop "$u"
  [ "$(show "$u" ActiveState)" = inactive ] || fail "$u is $(show "$u" ActiveState) after stop"
  [ "$(show "$u" Result)" = success ] || fail "$u stopped with result $(show "$u" Result)"
  echo "  $u: inactive, result success"
done
