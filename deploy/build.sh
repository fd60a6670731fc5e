#!/bin/bash
# Configures and builds relayguard into BUILD_DIR (default ./build) with Ninja, ccache and -j2.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1
# ccache hashes the locale (it changes the compiler's messages), and debhelper builds with
# LC_ALL=C.UTF-8: the same here, or the package build (deploy/build-debs.sh, the package test)
# finds none of this build's objects in the cache and compiles everything again.
export LC_ALL=C.UTF-8
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} \
  -DRELAYGUARD_MOLD=ON >/dev/null
cmake --build "$build" -j2 "$@"
