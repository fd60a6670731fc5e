#!/bin/bash
# sendmail-instance.sh: a sandboxed Sendmail 8 instance on loopback, for the demo and the
# integration tests. Runs inside tests/support/mta_sandbox.sh (private /etc with a dotted host
# name and 127.0.0.9 in /etc/hosts, DNS pointed at 127.0.0.1). Nothing is delivered
# (queue-only), the real /etc/mail is never read or written.
#
#   sendmail-instance.sh create DIR PORT [open|closed]  DIR/etc/{sendmail.mc,sendmail.cf,access}
#                                                      on 127.0.0.1:PORT (default open: the .mc
#                                                      has FEATURE(`promiscuous_relay'))
#   sendmail-instance.sh start DIR [CF]                (CF: run the daemon from another file,
#                                                      e.g. a copy, to test a reload that does
#                                                      not take; default DIR/etc/sendmail.cf)
#   sendmail-instance.sh stop DIR | status DIR
#   sendmail-instance.sh destroy DIR                   stop and remove DIR
set -euo pipefail

usage() { sed -n '2,15p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 dir=$2
root=${RELAYGUARD_MTA_ROOT:-/var/cache/relayguard/mta-root}
sendmail=$root/usr/libexec/sendmail/sendmail
makemap=$root/usr/libexec/sendmail/makemap
cfdir=$root/usr/share/sendmail/cf

pid_file=$dir/run/sendmail.pid
# shellcheck source=daemon.sh
. "$(dirname "$0")/daemon.sh"
conf_port() { sed -n 's/^O DaemonPortOptions=Port=\([0-9]*\),.*/\1/p' "$dir/etc/sendmail.cf" | head -1; }

create() {
  local port=$1 mode=${2:-open}
  [ -e "$dir/etc/sendmail.mc" ] && { echo "sendmail-instance: $dir already exists" >&2; exit 1; }
  mkdir -p "$dir/etc" "$dir/run" "$dir/mqueue" "$dir/clientmqueue"
  chmod 755 "$dir" "$dir/etc" "$dir/run"
  chmod 700 "$dir/mqueue" "$dir/clientmqueue"
  : > "$dir/run/statistics"
  local name open_feature=""
  name=$(basename "$dir")
  [ "$mode" = open ] && open_feature="FEATURE(\`promiscuous_relay')dnl"
  cat > "$dir/etc/sendmail.mc" <<MC
divert(-1)
# Sendmail sandbox instance "$name" (relayguard lab); built with
#   m4 -D_CF_DIR_=CFDIR/ CFDIR/m4/cf.m4 sendmail.mc > sendmail.cf
divert(0)dnl
VERSIONID(\`relayguard lab $name')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`$name.lab.test')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`QUEUE_DIR', \`$dir/mqueue')dnl
define(\`MSP_QUEUE_DIR', \`$dir/clientmqueue')dnl
define(\`STATUS_FILE', \`$dir/run/statistics')dnl
define(\`ALIAS_FILE', \`$dir/etc/aliases')dnl
define(\`confPID_FILE', \`$dir/run/sendmail.pid')dnl
define(\`confCW_FILE', \`-o $dir/etc/local-host-names')dnl
define(\`confCR_FILE', \`-o $dir/etc/relay-domains')dnl
define(\`confHOST_STATUS_DIRECTORY', \`')dnl
define(\`confSERVICE_SWITCH_FILE', \`$dir/etc/service.switch')dnl
define(\`confHOSTS_FILE', \`$dir/etc/hosts')dnl
dnl /tmp is world-writable (sticky): without this the access map is silently skipped as unsafe
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
define(\`confTO_IDENT', \`0s')dnl
define(\`confDELIVERY_MODE', \`queueonly')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`access_db', \`hash -T<TMPF> -o $dir/etc/access')dnl
$open_feature
DAEMON_OPTIONS(\`Port=$port, Addr=127.0.0.1, Name=MTA-lab')dnl
MAILER(\`local')dnl
MAILER(\`smtp')dnl
MC
  printf 'hosts\tfiles\naliases\tfiles\n' > "$dir/etc/service.switch"
  printf '127.0.0.1\tlocalhost %s.lab.test\n' "$name" > "$dir/etc/hosts"
  printf 'postmaster: root\nMAILER-DAEMON: postmaster\n' > "$dir/etc/aliases"
  printf '# access map source (makemap hash access < access)\nConnect:127.0.0.1\tRELAY\n' \
    > "$dir/etc/access"
  m4 -D_CF_DIR_="$cfdir/" "$cfdir/m4/cf.m4" "$dir/etc/sendmail.mc" > "$dir/etc/sendmail.cf"
  "$sendmail" -C "$dir/etc/sendmail.cf" -bt </dev/null >/dev/null
  "$makemap" -C "$dir/etc/sendmail.cf" hash "$dir/etc/access" < "$dir/etc/access"
  "$sendmail" -C "$dir/etc/sendmail.cf" -bi >/dev/null
}

start() {
  local cf=${1:-$dir/etc/sendmail.cf}
  alive "$pid_file" && return 0
  "$sendmail" -C "$cf" -bd
  wait_port "$(conf_port)" || { echo "sendmail-instance: $dir did not start" >&2; exit 1; }
}

stop() { stop_daemon "$pid_file"; }

case $cmd in
  create) [ $# -ge 3 ] || usage; create "$3" "${4:-open}" ;;
  start) start "${3:-}" ;;
  stop) stop ;;
  status) alive "$pid_file" && echo "running (pid $(pid_of "$pid_file"))" || { echo "stopped"; exit 3; } ;;
  destroy) stop; rm -rf "$dir" ;;
  *) usage ;;
esac
