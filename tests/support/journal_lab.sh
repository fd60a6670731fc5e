#!/bin/bash
# Runs a real systemd-journald for a test, in a private mount namespace, without touching the
# machine's journal, /run or /etc: DIR/run is this journald's /run (its sockets in
# DIR/run/systemd/journal, its journal in DIR/run/log/journal/MACHINE-ID, Storage=volatile so
# /var/log/journal is never written), kernel messages are not read, nothing is forwarded, and
# journald's own messages go to stderr (not to the kernel log). The test process stays outside:
# it sends entries to DIR/run/systemd/journal/socket and reads DIR/run/log/journal.
# Without a valid /etc/machine-id (a fresh container), one is made for the namespace.
# usage: journal_lab.sh DIR    (an empty directory owned by the test; the process is journald)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: journal_lab.sh DIR" >&2; exit 2; }
dir=$1
journald=/lib/systemd/systemd-journald
[ -x "$journald" ] || { echo "journal_lab: no $journald (Debian package systemd)" >&2; exit 1; }
if [ "${RG_JOURNAL_LAB_INNER:-}" != 1 ]; then
  exec env RG_JOURNAL_LAB_INNER=1 unshare --mount --propagation private /bin/bash "$0" "$dir"
fi
mkdir -p "$dir/run/systemd/journal" "$dir/run/systemd/journald.conf.d" "$dir/run/log/journal"
# Last in the drop-in order, so it wins over any /etc/systemd/journald.conf.d file.
cat > "$dir/run/systemd/journald.conf.d/zz-relayguard-journal-lab.conf" <<'CONF'
[Journal]
Storage=volatile
ReadKMsg=no
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
RateLimitIntervalSec=0
RateLimitBurst=0
CONF
mount --bind "$dir/run" /run
if ! grep -qE '^[0-9a-f]{32}$' /etc/machine-id 2>/dev/null || [ "${RG_JOURNAL_LAB_NEW_ID:-}" = 1 ]; then
  id=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  mkdir -p "$dir/etc-rw"
  mount -t tmpfs rg-journal-lab-etc "$dir/etc-rw"
  mkdir "$dir/etc-rw/upper" "$dir/etc-rw/work"
  echo "$id" > "$dir/etc-rw/upper/machine-id"
  mount -t overlay rg-journal-lab-etc \
    -o "lowerdir=/etc,upperdir=$dir/etc-rw/upper,workdir=$dir/etc-rw/work" /etc
fi
export SYSTEMD_LOG_TARGET=console
# journald goes when the test process does, even if it crashed before its teardown.
exec setpriv --pdeathsig KILL "$journald"
