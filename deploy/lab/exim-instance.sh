#!/bin/bash
# exim-instance.sh: a sandboxed Exim 4 instance on loopback (monolithic configuration), for the
# demo and the integration tests. Runs inside tests/support/mta_sandbox.sh (it needs the
# Debian-exim user of the private /etc). Nothing is delivered (foreign mail is blackholed),
# nothing is looked up in DNS, the real /etc/exim4 is never read or written.
#
#   exim-instance.sh create DIR PORT [RELAY_FROM]   config DIR/etc/exim4.conf, 127.0.0.1:PORT
#                                                   (RELAY_FROM default 0.0.0.0/0: an open relay)
#   exim-instance.sh start DIR [CONFIG]             (CONFIG: run the daemon from another file,
#                                                   e.g. a copy, to test a reload that does not
#                                                   take: default DIR/etc/exim4.conf)
#   exim-instance.sh stop DIR | status DIR
#   exim-instance.sh destroy DIR                    stop and remove DIR
set -euo pipefail

usage() { sed -n '2,14p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 dir=$2
root=${RELAYGUARD_MTA_ROOT:-/var/cache/relayguard/mta-root}
exim=$root/usr/sbin/exim4

port_up() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q "127.0.0.1:$1"; }
wait_port() { local i; for i in $(seq 1 200); do port_up "$1" && return 0; sleep 0.05; done; return 1; }
conf_port() { sed -n 's/^daemon_smtp_ports *= *\([0-9]*\).*/\1/p' "$dir/etc/exim4.conf" | head -1; }
pid_of() { [ -s "$dir/run/exim.pid" ] && cat "$dir/run/exim.pid"; }
alive() {
  local pid st; pid=$(pid_of) || return 1
  st=$(ps -o stat= -p "$pid" 2>/dev/null) || return 1
  [[ $st != Z* ]]
}

create() {
  local port=$1 relay_from=${2:-0.0.0.0/0}
  [ -e "$dir/etc/exim4.conf" ] && { echo "exim-instance: $dir already exists" >&2; exit 1; }
  getent passwd Debian-exim >/dev/null || {
    echo "exim-instance: no Debian-exim user; run inside tests/support/mta_sandbox.sh" >&2; exit 1; }
  mkdir -p "$dir/etc" "$dir/run"
  chmod 755 "$dir" "$dir/etc"
  install -d -o Debian-exim -g Debian-exim -m 750 "$dir/spool" "$dir/log"
  local name; name=$(basename "$dir")
  cat > "$dir/etc/exim4.conf" <<CONF
# Exim sandbox instance "$name" (relayguard lab) -- monolithic configuration
exim_path          = $exim
primary_hostname   = $name.lab.test
qualify_domain     = $name.lab.test
spool_directory    = $dir/spool
log_file_path      = $dir/log/%slog
pid_file_path      = $dir/run/exim.pid
daemon_smtp_ports  = $port
local_interfaces   = 127.0.0.1
# No DNS, ident, TLS or environment noise.
host_lookup        =
rfc1413_hosts      =
helo_lookup_domains =
tls_advertise_hosts =
keep_environment   =
# Let a relay scanner finish all its probes on one connection.
smtp_max_synprot_errors = 100
smtp_accept_max_nonmail = 100

domainlist local_domains    = @ : localhost : $name.lab.test
domainlist relay_to_domains =
# ---- relay policy (the lab starts it wide open) ----
hostlist   relay_from_hosts = $relay_from

acl_smtp_rcpt = acl_check_rcpt

begin acl

acl_check_rcpt:
  accept  hosts       = :
  deny    message     = Restricted characters in address
          domains     = +local_domains
          local_parts = ^[.] : ^.*[@%!/|]
  deny    message     = Restricted characters in address
          domains     = !+local_domains
          local_parts = ^[./|] : ^.*[@%!] : ^.*/\\\\.\\\\./
  accept  hosts       = +relay_from_hosts
  require message     = relay not permitted
          domains     = +local_domains : +relay_to_domains
  require verify      = recipient
  accept

begin routers

# Accepted relay mail is silently discarded: nothing ever leaves the box.
remote_blackhole:
  driver  = redirect
  domains = ! +local_domains
  data    = :blackhole:

local_postmaster:
  driver      = redirect
  domains     = +local_domains
  local_parts = postmaster
  data        = :blackhole:

begin transports

begin retry
*  *  F,1h,10m
CONF
  chmod 644 "$dir/etc/exim4.conf"
  # Trusted for -C (else every exim run logs "lost privilege" to the paniclog).
  grep -qxF "$dir/etc/exim4.conf" /etc/exim4/trusted_configs 2>/dev/null ||
    echo "$dir/etc/exim4.conf" >> /etc/exim4/trusted_configs
  "$exim" -C "$dir/etc/exim4.conf" -bV >/dev/null
}

start() {
  local conf=${1:-$dir/etc/exim4.conf}
  alive && return 0
  if [ "$conf" != "$dir/etc/exim4.conf" ]; then
    grep -qxF "$conf" /etc/exim4/trusted_configs 2>/dev/null || echo "$conf" >> /etc/exim4/trusted_configs
  fi
  "$exim" -C "$conf" -bd -q30m
  wait_port "$(conf_port)" || { echo "exim-instance: $dir did not start; see $dir/log" >&2; exit 1; }
}

stop() {
  local pid i
  pid=$(pid_of) || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do alive || break; sleep 0.05; done
  rm -f "$dir/run/exim.pid"
}

case $cmd in
  create) [ $# -ge 3 ] || usage; create "$3" "${4:-}" ;;
  start) start "${3:-}" ;;
  stop) stop ;;
  status) alive && echo "running (pid $(pid_of))" || { echo "stopped"; exit 3; } ;;
  destroy) stop; rm -rf "$dir" ;;
  *) usage ;;
esac
