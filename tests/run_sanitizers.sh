#!/bin/bash
# The sanitizer runs (issue 17): the unit tests (ctest label `unit`) built with clang 14's
# AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer on), and the tests of the
# concurrent parts that do not go through gRPC (controller: rollout manager, compliance tracker,
# agent registry and channels, attempt tracker, web server; agent: push handler) built with
# ThreadSanitizer (see tsan_regex for why the gRPC stream tests are not among them). Each build has a dir of its own (cmake/sanitize.cmake) and builds
# only those tests, what they link and the programs they run.
#   run_sanitizers.sh [all]            build and test both, then print the summary line
#   run_sanitizers.sh build asan|tsan  configure and build one
#   run_sanitizers.sh test asan|tsan   run one's tests (after build)
#   run_sanitizers.sh summary          "sanitizers: asan+ubsan N/N unit tests, tsan M/M"
# Environment: SANITIZE_BUILD_ROOT (default: the source root; dirs build-asan/ and build-tsan/),
# SANITIZE_JOBS (default 2), SANITIZE_NICE (niceness of the builds, default 0), SANITIZE_LOCK
# (a file: the ctest runs hold `flock` on it, for machines shared with other builds).
# Any sanitizer report fails the test it happens in (halt on error; UBSan aborts); a run with a
# failed test fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_root=${SANITIZE_BUILD_ROOT:-$root}
jobs=${SANITIZE_JOBS:-2}
supp=$root/tests/sanitizers

# The tests TSan runs: the executables of the concurrent parts (built alone in build-tsan/).
# -R keeps the suites that do not drive real gRPC streams: Debian's gRPC, abseil and protobuf are
# not built with TSan, so a test through gRPC's callback or sync API reports races in grpcpp's
# inline code (CallbackWithSuccessTag::Run, ProtoBufferReader::Next, Call::call) whose
# happens-before is inside libgrpc's completion queue, invisible to TSan. Those suites
# (AgentStreamReactor, OperatorService, AttemptsServer, ControllerSession) run under ASan+UBSan;
# under TSan they need a gRPC built with -fsanitize=thread (issue 17, left open).
tsan_targets=(controller_server_test rollout_manager_test controller_compliance_test
              agent_registry_test controller_attempts_test web_server_test agent_stream_test)
tsan_regex='^(RolloutManager|RolloutTargets|ComplianceTracker|FailureBudget|FleetCompliance'
tsan_regex+='|AgentRegistry|AgentChannel|AttemptTracker|AttemptReportLimits|AttemptsOutput'
tsan_regex+='|SqliteStoreAttempts|Duration|WebServer|WebServerStart|Backoff|PushHandler)Test\.'

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
    -DRELAYGUARD_SANITIZE="$flag" > /dev/null
  nice -n "${SANITIZE_NICE:-0}" cmake --build "$(dir_of "$kind")" -j"$jobs" \
    --target "${targets[@]}"
}

# Halt on the first report, with whole stacks; the suppressions name third-party code only.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:strict_string_checks=1:check_initialization_order=1:strict_init_order=1:detect_invalid_pointer_pairs=0
export LSAN_OPTIONS=suppressions=$supp/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp

run_ctest() {
  if [ -n "${SANITIZE_LOCK:-}" ]; then
    flock "$SANITIZE_LOCK" ctest "$@"
  else
    ctest "$@"
  fi
}

test_one() {
  local kind=$1 dir log status=0 filter
  dir=$(dir_of "$kind")
  case "$kind" in
    asan) filter=() ;;
    tsan) filter=(-R "$tsan_regex") ;;
    *) echo "run_sanitizers.sh: test asan|tsan, not '$kind'" >&2; exit 2 ;;
  esac
  [ -f "$dir/CTestTestfile.cmake" ] || {
    echo "run_sanitizers.sh: $dir is not built (run_sanitizers.sh build $kind)" >&2; exit 1; }
  log=$dir/sanitizer-ctest.log
  echo "== sanitizers: $kind: ctest -L unit ${filter[*]} in $dir"
  run_ctest --test-dir "$dir" -L unit "${filter[@]}" --output-on-failure --timeout 600 \
    -j"$jobs" 2>&1 | tee "$log" || status=$?
  # "100% tests passed, 0 tests failed out of 2083" (ctest's own count of what it ran).
  local total failed
  total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -n 1)
  failed=$(sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -n 1)
  if [ -z "$total" ] || [ "$total" -eq 0 ]; then
    echo "run_sanitizers.sh: $kind ran no tests (see $log)" >&2
    echo "0 0" > "$dir/sanitizer-result"
    return 1
  fi
  echo "$((total - failed)) $total" > "$dir/sanitizer-result"
  [ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
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
