# Shared by the lab instance scripts (sourced): loopback listeners and daemons known by a pid
# file. Only processes named by the instance's own pid file are ever signalled.

# Whether something listens on 127.0.0.1:$1.
port_up() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q "127.0.0.1:$1"; }

# Waits up to ${2:-300} x 50 ms for a listener on 127.0.0.1:$1.
wait_port() {
  local i
  for i in $(seq 1 "${2:-300}"); do port_up "$1" && return 0; sleep 0.05; done
  return 1
}

# The pid on the first line of pid file $1.
pid_of() { [ -s "$1" ] && head -1 "$1"; }

# Whether the process of pid file $1 lives (a zombie does not count).
alive() {
  local pid st
  pid=$(pid_of "$1") || return 1
  st=$(ps -o stat= -p "$pid" 2>/dev/null) || return 1
  [[ $st != Z* ]]
}

# SIGTERM to the process of pid file $1, up to 5 s for it to go, then the pid file is removed.
stop_daemon() {
  local pid i
  pid=$(pid_of "$1") || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do alive "$1" || break; sleep 0.05; done
  rm -f "$1"
}
