#!/bin/bash
# Makes the certificates for mTLS between relayguard's controller, agents and operators:
#   make-certs.sh DIR [--controller-san SAN]... [--agent HOST]... [--operator NAME]...
# DIR/ca.{crt,key}: the fleet CA (keep ca.key offline in production).
# DIR/controller.{crt,key}: CN relayguard-controller, SANs IP:127.0.0.1 and DNS:localhost plus
#   any --controller-san (e.g. DNS:relayguard.example.com, IP:192.0.2.10).
# DIR/agent-HOST.{crt,key}: CN = HOST (the controller refuses an agent whose hello names
#   another host). DIR/operator-NAME.{crt,key}: CN = operator-NAME (needed for relayguardctl).
# Existing files are kept, so the script can add certificates to an existing CA.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,10p' "$0" >&2; exit 2; }
dir=$1; shift
sans="IP:127.0.0.1,DNS:localhost"
agents=() operators=()
while [ $# -gt 0 ]; do
  case $1 in
    --controller-san) sans="$sans,$2"; shift 2;;
    --agent) agents+=("$2"); shift 2;;
    --operator) operators+=("$2"); shift 2;;
    *) echo "make-certs: unknown argument $1" >&2; exit 2;;
  esac
done
valid_name() { [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$ ]]; }
mkdir -p "$dir"; chmod 700 "$dir"
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; chmod 600 "$1"; }
if [ ! -f "$dir/ca.crt" ]; then
  newkey "$dir/ca.key"
  openssl req -x509 -new -key "$dir/ca.key" -out "$dir/ca.crt" -days 3650 -subj "/CN=relayguard-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  echo "make-certs: CA $dir/ca.crt"
fi
# issue NAME CN EKU [SAN]
issue() {
  local name=$1 cn=$2 eku=$3 san=${4:-}
  [ -f "$dir/$name.crt" ] && return 0
  newkey "$dir/$name.key"
  local ext; ext=$(mktemp)
  { echo "basicConstraints=CA:FALSE"; echo "keyUsage=critical,digitalSignature";
    echo "extendedKeyUsage=$eku"; [ -n "$san" ] && echo "subjectAltName=$san"; } > "$ext"
  openssl req -new -key "$dir/$name.key" -subj "/CN=$cn" 2>/dev/null |
    openssl x509 -req -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 825 \
      -extfile "$ext" -out "$dir/$name.crt" 2>/dev/null
  rm -f "$ext"
  echo "make-certs: $name (CN=$cn)"
}
issue controller relayguard-controller serverAuth "$sans"
for a in "${agents[@]}"; do
  valid_name "$a" || { echo "make-certs: bad agent host name \"$a\"" >&2; exit 2; }
  issue "agent-$a" "$a" clientAuth
done
for o in "${operators[@]}"; do
  valid_name "$o" || { echo "make-certs: bad operator name \"$o\"" >&2; exit 2; }
  issue "operator-$o" "operator-$o" clientAuth
done
