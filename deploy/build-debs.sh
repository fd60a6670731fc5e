#!/bin/bash
# Builds the Debian packages (relayguard-agent, relayguard-controller, relayguardctl) into OUTDIR
# (default BUILD_DIR/debs, BUILD_DIR defaulting to ./build; debug symbols in OUTDIR/dbgsym):
#   build-debs.sh [OUTDIR]
# The same as `dpkg-buildpackage -b -us -uc` in the repository, but in a copy of the working
# tree (committed or not, minus what git ignores) whose build directory is `build`, as the test
# build's is: with ccache's base directory at the copy's root, the package build reuses the
# objects deploy/build.sh compiled. The package's own tests are not run (nocheck): the test
# command runs them. Needs the build dependencies (deploy/install_deps.sh); not root.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-${BUILD_DIR:-$root/build}/debs}
version=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
work=$(mktemp -d /tmp/relayguard-debs.XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$work/relayguard-$version
mkdir -p "$src" "$out"
# The working tree as git sees it (tracked and new files, without ignored ones such as build/).
git -C "$root" ls-files -z --cached --others --exclude-standard |
  (cd "$root" && xargs -0 -r stat --printf '%n\0' 2>/dev/null) |
  tar -C "$root" --null -T - -cf - | tar -C "$src" -xf -
CCACHE_DIR=${CCACHE_DIR:-$(ccache -k cache_dir 2>/dev/null || true)}
export CCACHE_DIR
# Each compile's ccache result, to say how much came from the test build's objects.
export CCACHE_STATSLOG=$work/ccache-stats.log
started=$SECONDS
(cd "$src" && RELAYGUARD_DEB_BUILDDIR=build DEB_BUILD_OPTIONS="nocheck parallel=${JOBS:-2}" \
   dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1) ||
  { tail -40 "$work/build.log" >&2; echo "build-debs: dpkg-buildpackage failed" >&2; exit 1; }
# The debug symbols go to OUTDIR/dbgsym, so that `apt install ./relayguard-*.deb` installs the
# three programs only.
mkdir -p "$out/dbgsym"
rm -f "$out"/relayguard*_"$version"_*.deb "$out"/dbgsym/relayguard*_"$version"_*.deb
mv "$work"/*-dbgsym_*.deb "$out/dbgsym/" 2>/dev/null || true
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out/"
cp "$work/build.log" "$out/build.log"
echo "build-debs: $(cd "$out" && ls ./*.deb | tr '\n' ' ')in $out ($((SECONDS - started)) s)"
if [ -f "$CCACHE_STATSLOG" ]; then
  compiles=$(grep -c '^# ' "$CCACHE_STATSLOG" || true)
  cached=$(grep -Ec '^(direct|preprocessed)_cache_hit$' "$CCACHE_STATSLOG" || true)
  echo "build-debs: $cached of $compiles compiles came from ccache"
fi
