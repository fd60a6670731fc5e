#!/bin/bash
# The fuzz runs (issue 17). Two commands:
#   run_fuzz.sh build                 configures and builds the fuzz build (clang, libFuzzer,
#                                     ASan, UBSan) in FUZZ_BUILD_DIR (default ./build-fuzz)
#   run_fuzz.sh run TARGET [SECONDS]  replays fuzz/regressions/TARGET/ (every input that once
#                                     failed), then fuzzes TARGET for SECONDS (default
#                                     RELAYGUARD_FUZZ_SECONDS, else 20) from its seeds
#                                     (fuzz/corpus/TARGET/) and the corpus it grew in earlier runs
#   run_fuzz.sh ci TARGET             the ctest run (label fuzz): like run, from the seeds alone,
#                                     with a fixed seed (RELAYGUARD_FUZZ_SEED, default 1) and the
#                                     executions fuzz/ci_runs.txt gives TARGET (10 to 25 s here),
#                                     60 s at most. Not reproducible to the input: libFuzzer's
#                                     corpus still differs from run to run with the same seed
# Each run writes its figures to FUZZ_BUILD_DIR/figures/TARGET.txt (the test command prints them).
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
      -DCMAKE_BUILD_TYPE=Debug -DRELAYGUARD_MOLD=ON > /dev/null
    cmake --build "$build" -j2
    ;;
  run|ci)
    target=${2:?run_fuzz.sh run TARGET [SECONDS]}
    seconds=${3:-${RELAYGUARD_FUZZ_SECONDS:-20}}
    fixed=()
    if [ "$1" = ci ]; then
      runs=$(awk -v t="$target" '$1 == t { print $2 }' "$root/fuzz/ci_runs.txt")
      [ -n "$runs" ] || { echo "run_fuzz.sh: no runs for $target in fuzz/ci_runs.txt" >&2; exit 1; }
      seconds=60
      fixed=(-seed="${RELAYGUARD_FUZZ_SEED:-1}" -runs="$runs")
    fi
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
    if [ "$1" = ci ]; then
      rm -rf "$corpus" && mkdir -p "$corpus"  # every ci run starts from the seeds alone
      echo "== $target: fuzzing ${fixed[*]} (corpus $corpus, seeds ${seeds[*]:-none})"
    else
      echo "== $target: fuzzing for $seconds s (corpus $corpus, seeds ${seeds[*]:-none})"
    fi
    status=0
    started=$(date +%s)
    "$binary" "${limits[@]}" "${fixed[@]}" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "$corpus" "${seeds[@]}" > "$log" 2>&1 || status=$?
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    units=$(ls "$corpus" | wc -l)
    bytes=$(du -sb "$corpus" | cut -f1)
    elapsed=$(( $(date +%s) - started ))
    if [ "$status" -eq 0 ]; then
      figure="fuzz $target: ${executions:-0} executions in $elapsed s, corpus $units inputs ($bytes bytes)"
    else
      figure="fuzz $target: FAILED after ${executions:-0} executions, corpus $units inputs ($bytes bytes)"
    fi
    echo "$figure"
    mkdir -p "$build/figures"
    echo "$figure" > "$build/figures/$target.txt"
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
    echo "usage: run_fuzz.sh build | run TARGET [SECONDS] | ci TARGET" >&2
    exit 2
    ;;
esac
