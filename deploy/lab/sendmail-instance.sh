#!/bin/bash
# sendmail-instance.sh: a sandboxed Sendmail 8 instance on loopback, for the demo and the
# integration tests. Runs inside tests/support/mta_sandbox.sh (private /etc with a dotted host
# name and 127.0.0.9 in /etc/hosts, DNS pointed at 127.0.0.1). Nothing is delivered
# (queue-only), the real /etc/mail is never read or written.
#
#   sendmail-instance.sh create DIR PORT [open|closed]  DIR/etc/{sendmail.mc,sendmail.cf,access}
#                                                      on 127.0.0.1:PORT (default open: the .mc
#                                                      has FEATURE(`promiscuous_relay'))
#   sendmail-instance.sh create-debian DIR PORT SUBMISSION_PORT
#                                                      Debian's packaged sendmail.mc (MTA-v4 on
#                                                      PORT, MSP-v4 with M=Ea on SUBMISSION_PORT,
#                                                      the commented inet6 daemons left as they
#                                                      are) and access file, adapted to DIR
#   sendmail-instance.sh rebuild DIR                   sendmail.cf from DIR/etc/sendmail.mc and
#                                                      the access map again (after a test edited
#                                                      them)
#   sendmail-instance.sh start DIR [CF]                (CF: run the daemon from another file,
#                                                      e.g. a copy, to test a reload that does
#                                                      not take; default DIR/etc/sendmail.cf)
#   sendmail-instance.sh stop DIR | status DIR
#   sendmail-instance.sh destroy DIR                   stop and remove DIR
set -euo pipefail

usage() { sed -n '2,23p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 dir=$2
root=${RELAYGUARD_MTA_ROOT:-/var/cache/relayguard/mta-root}
sendmail=$root/usr/libexec/sendmail/sendmail
makemap=$root/usr/libexec/sendmail/makemap
cfdir=$root/usr/share/sendmail/cf

pid_file=$dir/run/sendmail.pid
# shellcheck source=daemon.sh
. "$(dirname "$0")/daemon.sh"
# The port of the first daemon (Port= anywhere in the line: Debian's lines start with Family=).
conf_port() { sed -n 's/^O DaemonPortOptions=.*Port=\([0-9]*\).*/\1/p' "$dir/etc/sendmail.cf" | head -1; }

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

# Builds sendmail.cf from the .mc, checks it, compiles the access map and the aliases.
build() {
  m4 -D_CF_DIR_="$cfdir/" "$cfdir/m4/cf.m4" "$dir/etc/sendmail.mc" > "$dir/etc/sendmail.cf"
  "$sendmail" -C "$dir/etc/sendmail.cf" -bt </dev/null >/dev/null
  "$makemap" -C "$dir/etc/sendmail.cf" hash "$dir/etc/access" < "$dir/etc/access"
  "$sendmail" -C "$dir/etc/sendmail.cf" -bi >/dev/null
}

# Debian's /etc/mail/sendmail.mc as sendmail-base ships it, with the lab's paths: the files of
# /etc/mail (MAIL_SETTINGS_DIR) in DIR/etc, the daemon's own files under DIR, the two active
# DAEMON_OPTIONS on free ports. Every other line, the commented daemons included, is Debian's.
create_debian() {
  local port=$1 submission=$2 name
  [ -e "$dir/etc/sendmail.mc" ] && { echo "sendmail-instance: $dir already exists" >&2; exit 1; }
  mkdir -p "$dir/etc/m4" "$dir/run" "$dir/mqueue" "$dir/clientmqueue" "$dir/lib"
  chmod 755 "$dir" "$dir/etc" "$dir/run"
  chmod 700 "$dir/mqueue" "$dir/clientmqueue"
  : > "$dir/run/statistics"
  : > "$dir/etc/m4/dialup.m4"
  : > "$dir/etc/m4/provider.m4"
  name=$(basename "$dir")
  local lab="define(\`MAIL_SETTINGS_DIR', \`$dir/etc/')dnl relayguard lab\n"
  lab+="include(\`$cfdir/debian/autoconf.m4')dnl relayguard lab: no /usr/share/sendmail here"
  local after="define(\`confDOMAIN_NAME', \`$name.lab.test')dnl relayguard lab\n"
  after+="define(\`confDONT_PROBE_INTERFACES', \`True')dnl\n"
  after+="define(\`QUEUE_DIR', \`$dir/mqueue')dnl\n"
  after+="define(\`MSP_QUEUE_DIR', \`$dir/clientmqueue')dnl\n"
  after+="define(\`STATUS_FILE', \`$dir/run/statistics')dnl\n"
  after+="define(\`confPID_FILE', \`$dir/run/sendmail.pid')dnl\n"
  after+="undefine(\`confCONTROL_SOCKET_NAME')dnl\n"
  after+="define(\`confHOST_STATUS_DIRECTORY', \`')dnl\n"
  after+="define(\`confDEAD_LETTER_DROP', \`$dir/lib/dead.letter')dnl\n"
  after+="define(\`confSERVICE_SWITCH_FILE', \`$dir/etc/service.switch')dnl\n"
  after+="define(\`confHOSTS_FILE', \`$dir/etc/hosts')dnl\n"
  after+="define(\`confTRUSTED_USER', \`root')dnl\n"
  after+="define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl\n"
  after+="define(\`confTO_IDENT', \`0s')dnl\n"
  after+="define(\`confDELIVERY_MODE', \`queueonly')dnl"
  sed -e "s|^include(\`/usr/share/sendmail/cf/m4/cf.m4')dnl\$|include(\`$cfdir/m4/cf.m4')dnl\n$lab|" \
      -e "s|^DOMAIN(\`debian-mta')dnl\$|&\n$after|" \
      -e "s|/etc/mail/m4/|$dir/etc/m4/|" \
      -e "/^DAEMON_OPTIONS(.*Name=MTA-v4/s/Port=smtp/Port=$port/" \
      -e "/^DAEMON_OPTIONS(.*Name=MSP-v4/s/Port=submission/Port=$submission/" \
      "$cfdir/debian/sendmail.mc" > "$dir/etc/sendmail.mc"
  grep -q "Port=$submission" "$dir/etc/sendmail.mc" || { echo "sendmail-instance: Debian's sendmail.mc changed" >&2; exit 1; }
  printf 'hosts\tfiles\naliases\tfiles\n' > "$dir/etc/service.switch"
  # Debian's configuration refuses senders whose domain does not resolve, and the lab has no
  # DNS: the probe's sender domain resolves through the lab's hosts file.
  printf '127.0.0.1\tlocalhost %s.lab.test\n192.0.2.10\texample.org\n' "$name" > "$dir/etc/hosts"
  printf 'postmaster: root\nMAILER-DAEMON: postmaster\n' > "$dir/etc/aliases"
  printf 'localhost\n%s.lab.test\n' "$name" > "$dir/etc/local-host-names"
  cp "$root/usr/share/sendmail/examples/db/access" "$dir/etc/access"
  cp "$root/usr/share/sendmail/examples/db/relay-domains" "$dir/etc/relay-domains"
  build
}

start() {
  local cf=${1:-$dir/etc/sendmail.cf}
  alive "$pid_file" && return 0
  # -L sm-mta: the syslog tag Debian's init script gives the daemon (/etc/init.d/sendmail).
  "$sendmail" -L sm-mta -C "$cf" -bd
  wait_port "$(conf_port)" || { echo "sendmail-instance: $dir did not start" >&2; exit 1; }
}

stop() { stop_daemon "$pid_file"; }

case $cmd in
  create) [ $# -ge 3 ] || usage; create "$3" "${4:-open}" ;;
  create-debian) [ $# -ge 4 ] || usage; create_debian "$3" "$4" ;;
  rebuild) build ;;
  start) start "${3:-}" ;;
  stop) stop ;;
  status) alive "$pid_file" && echo "running (pid $(pid_of "$pid_file"))" || { echo "stopped"; exit 3; } ;;
  destroy) stop; rm -rf "$dir" ;;
  *) usage ;;
esac
