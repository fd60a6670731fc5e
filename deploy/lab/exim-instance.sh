#!/bin/bash
# exim-instance.sh: a sandboxed Exim 4 instance on loopback (monolithic configuration), for the
# demo and the integration tests. Runs inside tests/support/mta_sandbox.sh (it needs the
# Debian-exim user of the private /etc). Nothing is delivered (foreign mail is blackholed),
# nothing is looked up in DNS, the real /etc/exim4 is never read or written.
#
#   exim-instance.sh create DIR PORT [RELAY_FROM]   config DIR/etc/exim4.conf, 127.0.0.1:PORT
#                                                   (RELAY_FROM default 0.0.0.0/0: an open relay)
#   exim-instance.sh create-debian DIR PORT [RELAY_NETS]
#                                                   Debian's split configuration instead: the
#                                                   (private) /etc/exim4 gets the packaged conf.d
#                                                   and an update-exim4.conf.conf with
#                                                   dc_relay_nets=RELAY_NETS (default 0.0.0.0/0);
#                                                   the daemon runs DIR/etc/exim4.generated
#   exim-instance.sh start DIR [CONFIG]             (CONFIG: run the daemon from another file,
#                                                   e.g. a copy, to test a reload that does not
#                                                   take: default DIR/etc/exim4.conf)
#   exim-instance.sh stop DIR | status DIR
#   exim-instance.sh destroy DIR                    stop and remove DIR
set -euo pipefail

usage() { sed -n '2,20p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 dir=$2
root=${RELAYGUARD_MTA_ROOT:-/var/cache/relayguard/mta-root}
exim=$root/usr/sbin/exim4

pid_file=$dir/run/exim.pid
# shellcheck source=daemon.sh
. "$(dirname "$0")/daemon.sh"
daemon_conf() {
  if [ -e "$dir/etc/exim4.generated" ]; then echo "$dir/etc/exim4.generated"; else echo "$dir/etc/exim4.conf"; fi
}
conf_port() { sed -n 's/^daemon_smtp_ports *= *\([0-9]*\).*/\1/p' "$(daemon_conf)" | head -1; }

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

create_debian() {
  local port=$1 relay_nets=${2:-0.0.0.0/0}
  [ -e "$dir/etc/exim4.generated" ] && { echo "exim-instance: $dir already exists" >&2; exit 1; }
  getent passwd Debian-exim >/dev/null || {
    echo "exim-instance: no Debian-exim user; run inside tests/support/mta_sandbox.sh" >&2; exit 1; }
  [ "${RELAYGUARD_IN_MTA_SANDBOX:-}" = 1 ] || {
    echo "exim-instance: create-debian writes /etc/exim4; run it inside tests/support/mta_sandbox.sh" >&2
    exit 1; }
  [ -e /etc/exim4/update-exim4.conf.conf ] && {
    echo "exim-instance: /etc/exim4 already holds a Debian configuration" >&2; exit 1; }
  mkdir -p "$dir/etc" "$dir/run" /etc/exim4
  chmod 755 "$dir" "$dir/etc"
  install -d -o Debian-exim -g Debian-exim -m 750 "$dir/spool" "$dir/log"
  cp -r "$root/etc/exim4/conf.d" "$root/etc/exim4/exim4.conf.template" /etc/exim4/
  # The binary lives in the unpacked root (the daemon re-executes exim_path on SIGHUP).
  sed -i "s#^exim_path = /usr/sbin/exim4\$#exim_path = $exim#" \
    /etc/exim4/conf.d/main/01_exim4-config_listmacrosdefs
  local name; name=$(basename "$dir")
  echo "$name.lab.test" > /etc/mailname
  cat > /etc/exim4/update-exim4.conf.conf <<CONF
# /etc/exim4/update-exim4.conf.conf (relayguard lab instance "$name")
dc_eximconfig_configtype='internet'
dc_other_hostnames='$name.lab.test'
dc_local_interfaces='127.0.0.1'
dc_readhost=''
dc_relay_domains=''
dc_minimaldns='false'
dc_relay_nets='$relay_nets'
dc_smarthost=''
CFILEMODE='644'
dc_use_split_config='true'
dc_hide_mailname=''
dc_mailname_in_oh='true'
dc_localdelivery='mail_spool'
CONF
  # Sandbox paths, read first (split configuration: conf.d/main/000_localmacros); no ident
  # lookups (127.0.0.9 resolves from the private /etc/hosts).
  cat > /etc/exim4/conf.d/main/000_localmacros <<CONF
SPOOLDIR = $dir/spool
daemon_smtp_ports = $port
log_file_path = $dir/log/%slog
pid_file_path = $dir/run/exim.pid
rfc1413_hosts =
CONF
  "$root/usr/sbin/update-exim4.conf" -d /etc/exim4 -o "$dir/etc/exim4.generated"
  chmod 644 "$dir/etc/exim4.generated"
  grep -qxF "$dir/etc/exim4.generated" /etc/exim4/trusted_configs 2>/dev/null ||
    echo "$dir/etc/exim4.generated" >> /etc/exim4/trusted_configs
  "$exim" -C "$dir/etc/exim4.generated" -bV >/dev/null
}

start() {
  local conf=${1:-$(daemon_conf)}
  alive "$pid_file" && return 0
  if [ "$conf" != "$dir/etc/exim4.conf" ]; then
    grep -qxF "$conf" /etc/exim4/trusted_configs 2>/dev/null || echo "$conf" >> /etc/exim4/trusted_configs
  fi
  "$exim" -C "$conf" -bd -q30m
  wait_port "$(conf_port)" || { echo "exim-instance: $dir did not start; see $dir/log" >&2; exit 1; }
}

stop() { stop_daemon "$pid_file"; }

case $cmd in
  create) [ $# -ge 3 ] || usage; create "$3" "${4:-}" ;;
  create-debian) [ $# -ge 3 ] || usage; create_debian "$3" "${4:-}" ;;
  start) start "${3:-}" ;;
  stop) stop ;;
  status) alive "$pid_file" && echo "running (pid $(pid_of "$pid_file"))" || { echo "stopped"; exit 3; } ;;
  destroy)
    stop
    # A Debian instance also owns the (private) /etc/exim4 it was given.
    if [ -e "$dir/etc/exim4.generated" ] && [ "${RELAYGUARD_IN_MTA_SANDBOX:-}" = 1 ]; then
      rm -rf /etc/exim4/conf.d /etc/exim4/exim4.conf.template /etc/exim4/update-exim4.conf.conf
    fi
    rm -rf "$dir" ;;
  *) usage ;;
esac
