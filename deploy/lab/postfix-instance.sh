#!/bin/bash
# postfix-instance.sh: a sandboxed, independent Postfix instance on loopback, for the demo and
# the integration tests. Nothing is ever delivered (discard transport), nothing is looked up in
# DNS, the real /etc/postfix is never read or written.
#
#   postfix-instance.sh create DIR PORT [MYNETWORKS]  config in DIR/etc, listener 127.0.0.1:PORT
#   postfix-instance.sh start DIR | stop DIR | status DIR
#   postfix-instance.sh open DIR     make it an open relay (mynetworks = 0.0.0.0/0), reload
#   postfix-instance.sh destroy DIR  stop and remove DIR
set -euo pipefail

usage() { sed -n '2,10p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 dir=$2

# shellcheck source=daemon.sh
. "$(dirname "$0")/daemon.sh"
listen_port() {
  local port; port=$(sed -n 's/^127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$dir/etc/master.cf" | head -1)
  # A bare port ("2525  inet ... smtpd", Debian's layout) binds inet_interfaces (127.0.0.1 here).
  [ -n "$port" ] || port=$(sed -n 's/^\([0-9][0-9]*\)[[:space:]][[:space:]]*inet[[:space:]].*/\1/p' \
                             "$dir/etc/master.cf" | head -1)
  echo "$port"
}

create() {
  local port=$1 mynetworks=${2:-0.0.0.0/0}
  [ -e "$dir/etc/main.cf" ] && { echo "postfix-instance: $dir already exists" >&2; exit 1; }
  mkdir -p "$dir/etc" "$dir/spool"
  install -d -o postfix -m 700 "$dir/data"
  local name; name=$(basename "$dir")
  cat > "$dir/etc/main.cf" <<MAINCF
# Postfix sandbox instance "$name" (relayguard lab) -- config_directory = $dir/etc
compatibility_level = 3.6
queue_directory = $dir/spool
data_directory  = $dir/data
mail_owner      = postfix
setgid_group    = postdrop
myhostname      = $name.lab.test
mydomain        = lab.test
myorigin        = \$myhostname
mydestination   = \$myhostname, localhost
inet_interfaces = 127.0.0.1
inet_protocols  = ipv4

# No syslogd here: log to a file through postlogd (service "postlog" in master.cf).
maillog_file          = $dir/maillog
maillog_file_prefixes = $dir

# Nothing is ever delivered, nothing is looked up in DNS.
alias_maps            =
alias_database        =
local_recipient_maps  =
default_transport     = discard:relayguard-lab
relay_transport       = discard:relayguard-lab
local_transport       = discard:relayguard-lab
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
biff = no

# ---- relay policy (the lab starts it wide open) ----
mynetworks = $mynetworks
smtpd_relay_restrictions = permit_mynetworks,
    permit_sasl_authenticated,
    defer_unauth_destination
MAINCF
  cat > "$dir/etc/master.cf" <<MASTERCF
# service        type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:$port  inet  n       -       n       -       -       smtpd
pickup           unix  n       -       n       60      1       pickup
cleanup          unix  n       -       n       -       0       cleanup
qmgr             unix  n       -       n       300     1       qmgr
rewrite          unix  -       -       n       -       -       trivial-rewrite
bounce           unix  -       -       n       -       0       bounce
defer            unix  -       -       n       -       0       bounce
trace            unix  -       -       n       -       0       bounce
verify           unix  -       -       n       -       1       verify
flush            unix  n       -       n       1000?   0       flush
proxymap         unix  -       -       n       -       -       proxymap
showq            unix  n       -       n       -       -       showq
error            unix  -       -       n       -       -       error
retry            unix  -       -       n       -       -       error
discard          unix  -       -       n       -       -       discard
anvil            unix  -       -       n       -       1       anvil
scache           unix  -       -       n       -       1       scache
postlog          unix-dgram n  -       n       -       1       postlogd
MASTERCF
}

start() {
  # `postfix check` creates the queue directories with the right owners; master -w is the fast
  # start that `postfix -c DIR status|reload|stop` understand.
  postfix -c "$dir/etc" check >/dev/null 2>&1 || postfix -c "$dir/etc" check
  /usr/lib/postfix/sbin/master -c "$dir/etc" -w
  wait_port "$(listen_port)" || { echo "postfix-instance: no listener on :$(listen_port); see $dir/maillog" >&2; exit 1; }
}

stop() {
  local port; port=$(listen_port)
  postfix -c "$dir/etc" status >/dev/null 2>&1 || return 0
  postfix -c "$dir/etc" stop >/dev/null 2>&1 || true
  local i; for i in $(seq 1 200); do port_up "$port" || return 0; sleep 0.05; done
  echo "postfix-instance: :$port still listening after stop" >&2; return 1
}

case $cmd in
  create) [ $# -ge 3 ] || usage; create "$3" "${4:-}";;
  start) start;;
  stop) stop;;
  status) postfix -c "$dir/etc" status;;
  open) postconf -c "$dir/etc" -e 'mynetworks = 0.0.0.0/0'; postfix -c "$dir/etc" reload >/dev/null 2>&1;;
  destroy) stop || true; rm -rf "$dir";;
  *) usage;;
esac
