#!/bin/bash
# The fuzz runs (issue 17). Two commands:
#   run_fuzz.sh build                 configures and builds the fuzz build (clang, libFuzzer,
#                                     ASan, UBSan) in FUZZ_BUILD_DIR (default ./build-fuzz)
#   run_fuzz.sh run TARGET [SECONDS]  replays fuzz/regressions/TARGET/ (every input that once
#                                     failed), then fuzzes TARGET for SECONDS (default
#                                     RELAYGUARD_FUZZ_SECONDS, else 20) from its seeds
#                                     (fuzz/corpus/TARGET/) and the corpus it grew in earlier runs
# A failed property, a sanitizer report, a leak, an input over -timeout or -rss_limit_mb fails the
# run; libFuzzer keeps the input in FUZZ_BUILD_DIR/artifacts/TARGET/, which the failure names.
# Ends with the target's executions and corpus size (libFuzzer's -print_final_stats).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}

case "${1:-}" in
  build)
    export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1
    CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DRELAYGUARD_FUZZ=ON \
      -DCMAKE_BUILD_TYPE=Debug > /dev/null
    cmake --build "$build" -j2
    ;;
  run)
    target=${2:?run_fuzz.sh run TARGET [SECONDS]}
    seconds=${3:-${RELAYGUARD_FUZZ_SECONDS:-20}}
    binary=$build/fuzz/${target}_fuzz
    [ -x "$binary" ] || { echo "run_fuzz.sh: $binary is not built (run_fuzz.sh build)" >&2; exit 1; }
    export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
    export UBSAN_OPTIONS=print_stacktrace=1
    limits=(-rss_limit_mb=2048 -timeout=10 -malloc_limit_mb=2048)
    corpus=$build/corpus/$target
    artifacts=$build/artifacts/$target
    mkdir -p "$corpus" "$artifacts"
    regressions=$root/fuzz/regressions/$target
    if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
      count=$(ls "$regressions" | wc -l)
      if ! "$binary" "${limits[@]}" "$regressions"/* > "$artifacts.replay.log" 2>&1; then
        grep -v '^INFO' "$artifacts.replay.log" | tail -n 60 >&2
        echo "fuzz $target FAILED: a regression input of $regressions fails again" >&2
        exit 1
      fi
      echo "== $target: the $count regression inputs of $regressions pass"
    fi
    seeds=()
    [ -d "$root/fuzz/corpus/$target" ] && seeds=("$root/fuzz/corpus/$target")
    log=$build/artifacts/$target.log
    echo "== $target: fuzzing for $seconds s (corpus $corpus, seeds ${seeds[*]:-none})"
    status=0
    "$binary" "${limits[@]}" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "$corpus" "${seeds[@]}" > "$log" 2>&1 || status=$?
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    units=$(ls "$corpus" | wc -l)
    bytes=$(du -sb "$corpus" | cut -f1)
    echo "fuzz $target: ${executions:-0} executions in $seconds s, corpus $units inputs ($bytes bytes)"
    if [ "$status" -ne 0 ]; then
      grep -v '^#\|^INFO\|^stat::' "$log" | tail -n 60 >&2
      echo "fuzz $target FAILED (exit $status); the input is kept in $artifacts:" >&2
      ls -l "$artifacts" >&2
      echo "replay: $binary $artifacts/<file>; keep it as a regression case:" \
        "cp $artifacts/<file> $root/fuzz/regressions/$target/" >&2
      exit 1
    fi
    ;;
  *)
    echo "usage: run_fuzz.sh build | run TARGET [SECONDS]" >&2
    exit 2
    ;;
esac
