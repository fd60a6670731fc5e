#!/bin/bash
# Makes (or extends) the cached clean Debian 12 root the package test installs the .debs into:
#   bookworm_root.sh DIR [PACKAGE]...
#   bookworm_root.sh DIR --for-debs DEB...   (the packages those .debs need, plus systemd, postfix)
# DIR missing or incomplete: debootstrap --variant=minbase bookworm from the machine's Debian mirror
# (the first deb.debian.org-style URI of /etc/apt/sources.list{,.d}). Then the PACKAGEs DIR lacks
# are installed into it with apt-get in the chroot; services are never started (policy-rc.d says
# no, Postfix is preseeded "Local only": loopback). The root is never used directly: the test
# works on an overlay of it, so it stays clean between runs. Needs root. Quiet when nothing to do.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,9p' "$0" >&2; exit 2; }
dir=$1; shift
pkgs=("$@")
# --for-debs DEB...: what those .debs depend on, besides themselves, and an MTA for the agent to
# find (Postfix, "Local only") and systemd (the units are verified, and booted, in the root).
if [ "${1:-}" = --for-debs ]; then
  shift
  pkgs=(systemd postfix procps)
  for d in "$@"; do
    pkgs+=($(dpkg-deb -f "$d" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' |
             grep -v '^relayguard' || true))
  done
  mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
fi
mirror() {
  local uri
  uri=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
          /etc/apt/sources.list.d/*.list 2>/dev/null |
        grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -1 | tr -d ' ')
  echo "${uri:-http://deb.debian.org/debian}"
}
exec 9>"$dir.lock"
flock 9
if [ ! -f "$dir/.relayguard-complete" ]; then
  rm -rf "$dir"
  echo "bookworm_root: debootstrap bookworm into $dir from $(mirror) (cached afterwards)"
  debootstrap --variant=minbase bookworm "$dir" "$(mirror)" \
    > "$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; echo "bookworm_root: debootstrap failed (log $dir.log)" >&2; exit 1; }
  printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"
  chmod 755 "$dir/usr/sbin/policy-rc.d"
  rm -f "$dir"/var/cache/apt/archives/*.deb
  echo "postfix postfix/main_mailer_type select Local only" |
    chroot "$dir" debconf-set-selections
  touch "$dir/.relayguard-complete"
fi
missing=()
for p in "${pkgs[@]}"; do
  chroot "$dir" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
# A virtual package (libspdlog1.10-fmt9) is never "installed" itself: ask apt whether it would
# install anything at all.
chroot "$dir" apt-get -s install "${missing[@]}" 2>/dev/null | grep -q '^Inst ' || exit 0
echo "bookworm_root: adding ${missing[*]} to $dir"
unshare -m --propagation private bash -c '
  set -e
  mount -t proc proc "$1/proc"
  mount --rbind /dev "$1/dev"
  cp /etc/resolv.conf "$1/etc/resolv.conf"
  shift_dir=$1; shift
  chroot "$shift_dir" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  chroot "$shift_dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "$@" >/dev/null
  chroot "$shift_dir" apt-get clean
' _ "$dir" "${missing[@]}"
