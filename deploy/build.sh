#!/bin/bash
# Configures and builds relayguard into BUILD_DIR (default ./build) with Ninja, ccache and -j2.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} \
  -DRELAYGUARD_MOLD=ON >/dev/null
cmake --build "$build" -j2 "$@"
