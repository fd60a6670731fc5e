#!/bin/bash
# Proves tests/support/mta_sandbox.sh keeps the machine as it was: inside, the private /etc and the
# /usr overlay are written to (or tried) as the SASL tests do, and a daemon is left running; outside,
# afterwards, /etc/{passwd,group,shadow} have the same md5, /usr has no dovecot, the file written
# into /etc/sasl2 exists nowhere, and the left-over daemon is gone. Registered with ctest.
# usage: mta_sandbox_host_test.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
state() { md5sum /etc/passwd /etc/group /etc/shadow /etc/hosts; ls -d /etc/sasl2 /etc/dovecot \
            /usr/sbin/dovecot /usr/sbin/saslauthd 2>&1; }
before=$(state)
tag="300.$$$RANDOM"   # a sleep argument no other process has
inside=$(bash "$here/mta_sandbox.sh" bash -c '
  echo "rg-host-test:x:2998:2998::/nonexistent:/usr/sbin/nologin" >> /etc/passwd
  echo "rg-host-test:!:19000::::::" >> /etc/shadow
  mkdir -p /etc/sasl2 && echo "pwcheck_method: saslauthd" > /etc/sasl2/rg-host-test.conf
  [ -x /usr/sbin/dovecot ] && echo dovecot-visible
  touch /usr/sbin/rg-host-test 2>/dev/null || echo usr-read-only
  getent passwd dovecot >/dev/null && getent passwd dovenull >/dev/null && echo dovecot-users
  [ -x "$RELAYGUARD_EXIM_HEAVY" ] && echo exim-heavy
  setsid sleep '"$tag"' </dev/null >/dev/null 2>&1 &
  echo done' 2>&1)
rc=$?
echo "$inside" | sed 's/^/  inside: /'
check "the sandboxed command ran" '[ $rc = 0 ] && [[ $inside == *done* ]]'
check "inside: /usr/sbin/dovecot (overlay)" '[[ $inside == *dovecot-visible* ]]'
check "inside: /usr is read-only" '[[ $inside == *usr-read-only* ]]'
check "inside: users dovecot and dovenull" '[[ $inside == *dovecot-users* ]]'
check "inside: RELAYGUARD_EXIM_HEAVY is a binary" '[[ $inside == *exim-heavy* ]]'
check "outside: /etc and /usr as before" '[ "$before" = "$(state)" ]'
check "outside: no rg-host-test user" '! grep -q "^rg-host-test:" /etc/passwd'
check "outside: no /usr/sbin/rg-host-test" '[ ! -e /usr/sbin/rg-host-test ]'
check "the daemon left running was stopped" '! pgrep -fx "sleep $tag" >/dev/null'
left=$(pgrep -fx "sleep $tag"); [ -n "$left" ] && kill $left
exit $fail
