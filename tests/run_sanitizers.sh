#!/bin/bash
# The sanitizer runs (issue 17): the unit tests (ctest label `unit`) built with clang 14's
# AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer on), and the tests of the
# concurrent parts that do not go through gRPC (controller: rollout manager, compliance tracker,
# agent registry and channels, attempt tracker, web server; agent: push handler) built with
# ThreadSanitizer (see tsan_suites for why the gRPC stream tests are not among them). Each build
# has a dir of its own (cmake/sanitize.cmake) and builds only those tests, what they link and the
# programs they run. Each test executable runs once, all its tests in one process (under ASan,
# starting a process per test as ctest does took four fifths of the run).
#   run_sanitizers.sh [all]            build and test both, then print the summary line
#   run_sanitizers.sh build asan|tsan  configure and build one
#   run_sanitizers.sh test asan|tsan   run one's tests (after build)
#   run_sanitizers.sh summary          "sanitizers: asan+ubsan N/N unit tests, tsan M/M"
# Environment: SANITIZE_BUILD_ROOT (default: the source root; dirs build-asan/ and build-tsan/),
# SANITIZE_JOBS (builds and executables at a time, default 2), SANITIZE_NICE (niceness of the
# builds, default 0).
# Any sanitizer report fails the test it happens in (halt on error; UBSan aborts); a run with a
# failed test fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_root=${SANITIZE_BUILD_ROOT:-$root}
jobs=${SANITIZE_JOBS:-2}
supp=$root/tests/sanitizers

# The tests TSan runs: the executables of the concurrent parts (built alone in build-tsan/).
# tsan_suites keeps the suites that do not drive real gRPC streams: Debian's gRPC, abseil and protobuf are
# not built with TSan, so a test through gRPC's callback or sync API reports races in grpcpp's
# inline code (CallbackWithSuccessTag::Run, ProtoBufferReader::Next, Call::call) whose
# happens-before is inside libgrpc's completion queue, invisible to TSan. Those suites
# (AgentStreamReactor, OperatorService, AttemptsServer, ControllerSession) run under ASan+UBSan;
# under TSan they need a gRPC built with -fsanitize=thread (issue 17, left open).
tsan_targets=(controller_server_test rollout_manager_test controller_compliance_test
              agent_registry_test controller_attempts_test web_server_test agent_stream_test)
tsan_suites=(RolloutManager RolloutTargets ComplianceTracker FailureBudget FleetCompliance
             AgentRegistry AgentChannel AttemptTracker AttemptReportLimits AttemptsOutput
             SqliteStoreAttempts Duration WebServer WebServerStart Backoff PushHandler)
tsan_filter=$(printf '%sTest.*:' "${tsan_suites[@]}")
tsan_filter=${tsan_filter%:}

dir_of() { echo "$build_root/build-$1"; }

build() {
  local kind=$1 flag targets
  case "$kind" in
    asan) flag=address,undefined; targets=(unit_tests) ;;
    tsan) flag=thread; targets=("${tsan_targets[@]}") ;;
    *) echo "run_sanitizers.sh: build asan|tsan, not '$kind'" >&2; exit 2 ;;
  esac
  export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1
  # clang 14 (SANITIZE_CXX=g++ for gcc); RelWithDebInfo for its NDEBUG, as in the normal build,
  # with cmake/sanitize.cmake's -O and -g.
  CC=${SANITIZE_CC:-clang} CXX=${SANITIZE_CXX:-clang++} \
    cmake -S "$root" -B "$(dir_of "$kind")" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-DNDEBUG -DCMAKE_C_FLAGS_RELWITHDEBINFO=-DNDEBUG \
    -DRELAYGUARD_SANITIZE="$flag" -DRELAYGUARD_MOLD=ON > /dev/null
  nice -n "${SANITIZE_NICE:-0}" cmake --build "$(dir_of "$kind")" -j"$jobs" \
    --target "${targets[@]}"
}

# Halt on the first report, with whole stacks; the suppressions name third-party code only.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:strict_string_checks=1:check_initialization_order=1:strict_init_order=1:detect_invalid_pointer_pairs=0
export LSAN_OPTIONS=suppressions=$supp/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp

# One executable's tests in one process (in the dir ctest would run it in, with ctest's timeout);
# prints "PASSED TOTAL EXECUTABLE" and keeps the output in $dir/sanitizer-logs/.
run_executable() {
  local exe=$1 filter=$2 log total passed status=0
  log=$logs/$(basename "$exe").log
  # A listing that fails (a report at start-up) counts as one failed test, never as none.
  local listing
  if ! listing=$("$exe" --gtest_list_tests --gtest_filter="$filter" 2> "$log"); then
    echo "0 1 $exe"; return
  fi
  total=$(grep -c '^  ' <<< "$listing" || true)
  (cd "$(dirname "$exe")" && timeout 600 "$exe" --gtest_filter="$filter") > "$log" 2>&1 \
    || status=$?
  # "[  PASSED  ] 27 tests." is printed only for a run that got to its end.
  passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\?\..*/\1/p' "$log" | tail -n 1)
  [ "$status" -eq 0 ] || passed=$(( ${passed:-0} < total ? ${passed:-0} : total - 1 ))
  echo "${passed:-0} $total $exe"
}

test_one() {
  local kind=$1 dir filter=* exe total=0 passed=0 failed=()
  dir=$(dir_of "$kind")
  [ -f "$dir/unit-tests.txt" ] && [ -f "$dir/CTestTestfile.cmake" ] || {
    echo "run_sanitizers.sh: $dir is not built (run_sanitizers.sh build $kind)" >&2; exit 1; }
  local executables=()
  while read -r exe; do
    case "$kind" in
      asan) executables+=("$exe") ;;
      tsan) [[ " ${tsan_targets[*]} " == *" $(basename "$exe") "* ]] && executables+=("$exe") ;;
      *) echo "run_sanitizers.sh: test asan|tsan, not '$kind'" >&2; exit 2 ;;
    esac
  done < "$dir/unit-tests.txt"
  [ "$kind" = tsan ] && filter=$tsan_filter
  logs=$dir/sanitizer-logs
  rm -rf "$logs" && mkdir -p "$logs"
  echo "== sanitizers: $kind: ${#executables[@]} unit test executables, each in one process," \
       "$jobs at a time (output: $logs)"
  export -f run_executable
  export logs
  local results
  results=$(printf '%s\n' "${executables[@]}" |
            xargs -P "$jobs" -I{} bash -c 'run_executable "$1" "$2"' run {} "$filter")
  local p t e
  while read -r p t e; do
    total=$((total + t)); passed=$((passed + p))
    if [ "$p" -ne "$t" ]; then
      failed+=("$e")
      echo "---- $e: $p of $t passed; its output ends:" >&2
      grep -E '^\[  FAILED  \]|ERROR: (Address|Leak|Thread)Sanitizer|runtime error|WARNING: ThreadSanitizer' \
        "$logs/$(basename "$e").log" | head -n 20 >&2 || true
      tail -n 40 "$logs/$(basename "$e").log" >&2
    fi
  done <<< "$results"
  echo "$passed $total" > "$dir/sanitizer-result"
  echo "== sanitizers: $kind: $passed of $total tests passed in ${#executables[@]} executables"
  if [ "$total" -eq 0 ]; then
    echo "run_sanitizers.sh: $kind ran no tests" >&2
    return 1
  fi
  [ "${#failed[@]}" -eq 0 ]
}

summary() {
  local asan=("?" "?") tsan=("?" "?")
  [ -f "$(dir_of asan)/sanitizer-result" ] && read -r -a asan < "$(dir_of asan)/sanitizer-result"
  [ -f "$(dir_of tsan)/sanitizer-result" ] && read -r -a tsan < "$(dir_of tsan)/sanitizer-result"
  echo "sanitizers: asan+ubsan ${asan[0]}/${asan[1]} unit tests, tsan ${tsan[0]}/${tsan[1]}"
}

case "${1:-all}" in
  build) build "${2:?run_sanitizers.sh build asan|tsan}" ;;
  test) test_one "${2:?run_sanitizers.sh test asan|tsan}" ;;
  summary) summary ;;
  all)
    status=0
    rm -f "$(dir_of asan)/sanitizer-result" "$(dir_of tsan)/sanitizer-result"
    for kind in asan tsan; do
      build "$kind" && test_one "$kind" || status=1
    done
    summary
    exit $status
    ;;
  *) echo "usage: run_sanitizers.sh [all | build asan|tsan | test asan|tsan | summary]" >&2
     exit 2 ;;
esac
