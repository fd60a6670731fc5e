#!/bin/bash
# The package test (ctest label `package`, run as root by tests/run_all.sh):
#  1. builds the .debs (deploy/build-debs.sh) and runs lintian on them: no errors;
#  2. installs them with apt into a clean Debian 12 root (debootstrap, cached in
#     /var/cache/relayguard/debootstrap-bookworm; the test works on an overlay of it, in a private
#     mount namespace, so the cache stays clean);
#  3. checks the relayguard user, the directories with owners and modes, the conffiles, the
#     units (systemd-analyze verify, and security --offline: exposure controller <= 2.5,
#     agent <= 5.0), the man pages (formatted without warnings, rendered by man) and relayguardctl's
#     bash completion (run in the root's bash);
#  4. does what the README's Install section says (certificates, the controller's port and the
#     agent's controller in the configuration), then runs each unit's ExecStart line, with the
#     unit's user and environment file, inside the root: the controller answers relayguardctl
#     over loopback, the agent reaches the controller (online in `relayguardctl hosts`);
#  5. reinstalls over the edited configuration (an upgrade keeps it and the state), removes
#     (configuration and state stay), purges (what the packages made is gone; the agent's
#     backup repository, the admin's certificates, the relayguard user and the MTA's files stay).
# Only 127.0.0.1 is used, on ports chosen at run time; the machine's own /etc is never changed.
#   package_test.sh            (as root)
set -euo pipefail
root_dir=$(cd "$(dirname "$0")/../.." && pwd)
cache=${RELAYGUARD_DEBOOTSTRAP_ROOT:-/var/cache/relayguard/debootstrap-bookworm}
export RELAYGUARD_PACKAGE_TEST_START=${RELAYGUARD_PACKAGE_TEST_START:-$(date +%s)}
say() { printf '[package %3ds] %s\n' $(($(date +%s) - RELAYGUARD_PACKAGE_TEST_START)) "$*"; }
fail() { echo "package_test: FAILED: $*" >&2; exit 1; }

if [ "${1:-}" != --in-namespace ]; then
  [ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot, mounts)"
  work=$(mktemp -d /tmp/relayguard-pkgtest.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  say "building the packages (deploy/build-debs.sh)"
  bash "$root_dir/deploy/build-debs.sh" "$work/debs" | sed 's/^/  /'
  # Kept for systemd_boot_test (ctest fixture "debs"), which boots them under a real systemd.
  if [ -n "${RELAYGUARD_KEEP_DEBS:-}" ]; then
    rm -rf "$RELAYGUARD_KEEP_DEBS" && mkdir -p "$RELAYGUARD_KEEP_DEBS" && cp "$work"/debs/*.deb "$RELAYGUARD_KEEP_DEBS/"
  fi
  debs=()
  for p in relayguard-agent relayguard-controller relayguardctl; do
    f=$(ls "$work"/debs/${p}_*.deb 2>/dev/null | head -1)
    [ -n "$f" ] || fail "build-debs.sh made no $p package"
    debs+=("$f")
  done

  say "lintian (errors fail the test; warnings are listed, justified in debian/README.source)"
  lintian --fail-on error "${debs[@]}" > "$work/lintian.out" 2>&1 ||
    { cat "$work/lintian.out" >&2; fail "lintian reports errors"; }
  if grep -q '^W:' "$work/lintian.out"; then grep '^W:' "$work/lintian.out" | sed 's/^/  kept /'; fi
  ! grep -q '^E:' "$work/lintian.out" || fail "lintian reports errors"

  # The clean root holds what the packages depend on (so apt installs them without the network)
  # and an MTA for the agent to find (Postfix, "Local only").
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
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t tmpfs tmpfs "$root/run"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
in_root() { chroot "$root" "$@"; }
free_port() {
  local p
  for p in $(shuf -i 20000-60000 -n 100); do
    ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
  fail "no free port on 127.0.0.1"
}
# expect_stat PATH OWNER:GROUP MODE
expect_stat() {
  local got
  got=$(in_root stat -c '%U:%G %a' "$1" 2>/dev/null) || fail "$1 is missing"
  [ "$got" = "$2 $3" ] || fail "$1 is $got, expected $2 $3"
  echo "  $1 $got"
}
mta_sum() { in_root sha256sum /etc/postfix/main.cf /etc/postfix/master.cf; }
mta_before=$(mta_sum)

say "apt install ./relayguard-*.deb in the root"
mkdir -p "$root/tmp/debs"
cp "${debs[@]}" "$root/tmp/debs/"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
  $(for d in "${debs[@]}"; do echo "/tmp/debs/$(basename "$d")"; done) > "$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "apt-get install of the packages failed"; }

say "user, directories, owners, modes"
user=$(in_root getent passwd relayguard) || fail "no relayguard user"
IFS=: read -r _ _ uid _ _ home shell <<<"$user"
[ "$uid" -lt 1000 ] || fail "relayguard is not a system user (uid $uid)"
[ "$home" = /var/lib/relayguard-controller ] || fail "relayguard's home is $home"
[ "$shell" = /usr/sbin/nologin ] || fail "relayguard's shell is $shell"
echo "  relayguard: uid $uid, home $home, shell $shell"
expect_stat /var/lib/relayguard-controller relayguard:relayguard 750
expect_stat /var/lib/relayguard root:root 700
expect_stat /usr/sbin/relayguard-controller root:root 755
expect_stat /usr/sbin/relayguard-agent root:root 755
expect_stat /usr/bin/relayguardctl root:root 755
expect_stat /usr/share/relayguard/make-certs.sh root:root 755

say "conffiles"
conffiles() { in_root dpkg-query -W -f='${Conffiles}\n' "$1" | awk 'NF {print $1}'; }
expected_conf=(relayguard-agent:/etc/relayguard/agent.yaml
               relayguard-controller:/etc/relayguard/controller.yaml
               relayguard-controller:/etc/relayguard/playbooks/no-open-relay.yaml)
for e in "${expected_conf[@]}"; do
  conffiles "${e%%:*}" | grep -qx "${e#*:}" || fail "${e#*:} is not a conffile of ${e%%:*}"
  echo "  ${e%%:*}: ${e#*:}"
done

say "units"
for u in controller agent; do
  unit=/lib/systemd/system/relayguard-$u.service
  [ -f "$root$unit" ] || fail "$unit is missing"
  [ -L "$root/etc/systemd/system/multi-user.target.wants/relayguard-$u.service" ] ||
    fail "relayguard-$u.service is not enabled"
  verify=$(in_root systemd-analyze verify --man=no "$unit" 2>&1) ||
    { echo "$verify" >&2; fail "systemd-analyze verify $unit"; }
  [ -z "$verify" ] || { echo "$verify" >&2; fail "systemd-analyze verify $unit is not clean"; }
  exposure=$(in_root systemd-analyze security --offline=true "$unit" 2>&1 |
             sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
  limit=$([ $u = controller ] && echo 2.5 || echo 5.0)
  [ -n "$exposure" ] || fail "systemd-analyze security printed no exposure for $unit"
  echo "  relayguard-$u.service: systemd-analyze verify clean; exposure $exposure (at most $limit)"
  awk -v e="$exposure" -v l="$limit" 'BEGIN {exit !(e <= l)}' ||
    fail "relayguard-$u.service exposure $exposure is above $limit"
done

say "man pages and bash completion"
docs=(relayguard-agent:/usr/share/man/man8/relayguard-agent.8.gz
      relayguard-agent:/usr/share/man/man5/relayguard-agent.yaml.5.gz
      relayguard-controller:/usr/share/man/man8/relayguard-controller.8.gz
      relayguard-controller:/usr/share/man/man5/relayguard-controller.yaml.5.gz
      relayguardctl:/usr/share/man/man8/relayguardctl.8.gz
      relayguardctl:/usr/share/bash-completion/completions/relayguardctl)
for e in "${docs[@]}"; do
  p=${e%%:*} f=${e#*:}
  in_root dpkg -L "$p" | grep -qx "$f" || fail "$f is not in the $p package"
  [ -f "$root$f" ] || fail "$f is missing"
  case $f in
    *.gz)
      gzip -t "$root$f" 2>/dev/null || fail "man page $f is not a valid gzip file"
      # groff (the host's) formats it without a warning.
      warnings=$(zcat "$root$f" | LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 2>&1) ||
        fail "groff cannot format $f: $warnings"
      [ -z "$warnings" ] || fail "groff warns about $f: $warnings"
      ;;
  esac
  echo "  $p: $f"
done
# man(1) renders a page: the root's man-db when it has one (minbase has not), else the host's.
if in_root test -x /usr/bin/man; then
  shown=$(in_root env LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings relayguardctl 2>&1) ||
    fail "man relayguardctl in the root: $shown"
  where="the root's man"
else
  shown=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$root/usr/share/man/man8/relayguardctl.8.gz" 2>&1) ||
    fail "man -l relayguardctl.8.gz: $shown"
  where="the host's man -l (no man-db in the root)"
fi
grep -q 'rollout start' <<<"$shown" || fail "man relayguardctl shows no 'rollout start': $shown"
! grep -qi 'warning' <<<"$shown" || fail "man relayguardctl warns: $shown"
echo "  relayguardctl(8) renders with $where"
# The completion works in the root's bash without the bash-completion package.
offered=$(in_root bash --norc --noprofile -c 'source /usr/share/bash-completion/completions/relayguardctl
  COMP_WORDS=(relayguardctl rollout start --la); COMP_CWORD=3; _relayguardctl; echo "${COMPREPLY[*]}"')
[ "$offered" = "--label" ] || fail "the completion offers '$offered' for 'relayguardctl rollout start --la'"
echo "  bash completion: 'relayguardctl rollout start --la' -> $offered"

say "configure like an admin: certificates (make-certs.sh), ports, the agent's controller"
cport=$(free_port)
in_root bash /usr/share/relayguard/make-certs.sh /root/certs --agent pkgtest-mx --operator pkgtest \
  > /dev/null
in_root sh -c 'cd /root/certs && cp ca.crt controller.crt controller.key /etc/relayguard/ &&
  cp agent-pkgtest-mx.crt /etc/relayguard/agent.crt && cp agent-pkgtest-mx.key /etc/relayguard/agent.key &&
  chown relayguard:relayguard /etc/relayguard/controller.key &&
  chmod 600 /etc/relayguard/controller.key /etc/relayguard/agent.key'
# The shipped files name the certificates' paths; the admin sets the listen address, the
# agent's controller and its host name.
sed -i "s/^listen: 127.0.0.1:7443$/listen: 127.0.0.1:$cport/" "$root/etc/relayguard/controller.yaml"
sed -i -e "s/^# controller: .*/controller: 127.0.0.1:$cport/" -e "s/^# host: .*/host: pkgtest-mx/" \
  "$root/etc/relayguard/agent.yaml"
grep -q "^listen: 127.0.0.1:$cport$" "$root/etc/relayguard/controller.yaml" || fail "cannot set the controller's listen address"
grep -q "^controller: 127.0.0.1:$cport$" "$root/etc/relayguard/agent.yaml" || fail "cannot set the agent's controller"
for p in controller agent; do
  in_root "/usr/sbin/relayguard-$p" --config "/etc/relayguard/$p.yaml" config check \
    > "$work/config-$p.out" 2>&1 ||
    { cat "$work/config-$p.out" >&2; fail "relayguard-$p config check refuses the configured /etc/relayguard/$p.yaml"; }
  echo "  relayguard-$p config check: exit 0"
done

# unit_value UNIT KEY: the value of KEY= in the installed unit.
unit_value() { sed -n "s/^$2=//p" "$root/lib/systemd/system/$1.service" | head -1; }
# run_unit UNIT LOG: the unit's ExecStart, as its User= with its EnvironmentFile=, in the root.
run_unit() {
  local exec env user mask
  exec=$(unit_value "$1" ExecStart); env=$(unit_value "$1" EnvironmentFile)
  user=$(unit_value "$1" User); mask=$(unit_value "$1" UMask)
  [ -n "$exec" ] || fail "$1.service has no ExecStart"
  echo "  $1: ExecStart=$exec (User=${user:-root}, UMask=${mask:-0022}, EnvironmentFile=$env)"
  chroot ${user:+--userspec="$user:$user"} "$root" /bin/sh -c \
    "umask ${mask:-0022}; set -a; ${env:+. ${env#-};} set +a; exec $exec" > "$work/$1.log" 2>&1 &
  pids+=($!)
}
ctl() { in_root relayguardctl --controller "127.0.0.1:$cport" --ca /etc/relayguard/ca.crt \
          --cert /root/certs/operator-pkgtest.crt --key /root/certs/operator-pkgtest.key "$@"; }

say "start the units' ExecStart lines in the root"
run_unit relayguard-controller
controller_pid=${pids[-1]}
ok=
for _ in $(seq 1 100); do
  if ctl hosts > "$work/hosts.out" 2>&1; then ok=1; break; fi
  kill -0 "$controller_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$ok" ] || { cat "$work/relayguard-controller.log" "$work/hosts.out" >&2;
                  fail "the controller does not answer relayguardctl on 127.0.0.1:$cport"; }
echo "  the controller answers: relayguardctl hosts exits 0"
run_unit relayguard-agent
agent_pid=${pids[-1]}
ok=
for _ in $(seq 1 100); do
  if ctl hosts 2>/dev/null | grep -q 'pkgtest-mx.* online '; then ok=1; break; fi
  kill -0 "$agent_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$ok" ] || { cat "$work/relayguard-agent.log" >&2; ctl hosts >&2 || true;
                  fail "the agent does not reach the controller"; }
ctl hosts | sed 's/^/  | /'
echo "  the agent reached the controller: pkgtest-mx is online"
kill -HUP "$controller_pid"   # ExecReload: the playbooks are re-read, the controller stays
sleep 0.5
ctl hosts > /dev/null || fail "the controller does not answer after SIGHUP (ExecReload)"
echo "  SIGHUP (ExecReload): the controller still answers"
for p in "$agent_pid" "$controller_pid"; do
  kill -TERM "$p"
  rc=0; wait "$p" || rc=$?
  [ "$rc" = 0 ] || fail "a daemon exited $rc on SIGTERM (logs: $(cat "$work"/relayguard-*.log))"
done
pids=()
echo "  both stopped on SIGTERM with exit 0"
expect_stat /var/lib/relayguard-controller/controller.db relayguard:relayguard 640
[ -d "$root/var/lib/relayguard/backup" ] || fail "the agent made no backup repository"

say "reinstall (an upgrade): the edited configuration and the state stay"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall \
  $(for d in "${debs[@]}"; do echo "/tmp/debs/$(basename "$d")"; done) > "$work/reinstall.log" 2>&1 ||
  { cat "$work/reinstall.log" >&2; fail "reinstalling the packages failed"; }
grep -q "^listen: 127.0.0.1:$cport$" "$root/etc/relayguard/controller.yaml" || fail "the upgrade replaced /etc/relayguard/controller.yaml"
[ -f "$root/var/lib/relayguard-controller/controller.db" ] || fail "the upgrade lost the controller's store"
expect_stat /var/lib/relayguard-controller relayguard:relayguard 750
echo "  /etc/relayguard/controller.yaml keeps the edit; the store is there"

say "apt remove: configuration and state stay"
in_root env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q relayguard-agent \
  relayguard-controller relayguardctl > "$work/remove.log" 2>&1 ||
  { cat "$work/remove.log" >&2; fail "apt-get remove failed"; }
for f in /usr/sbin/relayguard-agent /usr/sbin/relayguard-controller /usr/bin/relayguardctl \
         /lib/systemd/system/relayguard-agent.service /lib/systemd/system/relayguard-controller.service; do
  [ ! -e "$root$f" ] || fail "$f is still there after remove"
done
for f in /etc/relayguard/agent.yaml /etc/relayguard/controller.yaml \
         /var/lib/relayguard-controller/controller.db /var/lib/relayguard/backup; do
  [ -e "$root$f" ] || fail "$f is gone after remove (only purge removes it)"
done
echo "  programs and units gone; /etc/relayguard/*.yaml, the store and the backups stay"

say "apt purge: what the packages made is gone, the rest stays"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q relayguard-agent \
  relayguard-controller relayguardctl > "$work/purge.log" 2>&1 ||
  { cat "$work/purge.log" >&2; fail "apt-get purge failed"; }
for f in /etc/relayguard/playbooks /etc/relayguard/agent.yaml /etc/relayguard/controller.yaml /var/lib/relayguard-controller \
         /var/lib/relayguard/journal /var/lib/relayguard/policy.yaml \
         /etc/systemd/system/multi-user.target.wants/relayguard-agent.service \
         /etc/systemd/system/multi-user.target.wants/relayguard-controller.service; do
  [ ! -e "$root$f" ] || fail "$f is still there after purge"
done
[ -d "$root/var/lib/relayguard/backup" ] || fail "purge removed the agent's backup repository (not asked to)"
[ "$(ls -A "$root/var/lib/relayguard")" = backup ] ||
  fail "purge left more than the backup repository in /var/lib/relayguard: $(ls -A "$root/var/lib/relayguard")"
[ -f "$root/etc/relayguard/controller.key" ] || fail "purge removed the admin's certificates"
in_root getent passwd relayguard > /dev/null || fail "purge removed the relayguard user"
[ "$(mta_sum)" = "$mta_before" ] || fail "the MTA's files changed"
left=$(cd "$root" && find etc/relayguard var/lib/relayguard -maxdepth 1 | sort | tr '\n' ' ')
echo "  left: $left(the admin's certificates, the backup repository), the relayguard user"
echo "  /etc/postfix/main.cf and master.cf unchanged"
