#!/bin/bash
# The sanitizer runs (issue 17): the unit tests (ctest label `unit`) built with clang 14's
# AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer on), and the tests of the
# concurrent parts that do not go through gRPC (controller: rollout manager, compliance tracker,
# agent registry and channels, attempt tracker, web server; agent: push handler) built with
# ThreadSanitizer (see tsan_suites for why the gRPC stream tests are not among them). Each build
# has a dir of its own (cmake/sanitize.cmake) and builds only those tests, what they link and the
# programs they run. Each test executable runs once, all its tests in one process (under ASan,
# starting a process per test as ctest does took four fifths of the run). After the unit tests,
# the ASan+UBSan run starts the controller's integration and crash tests and the hostile-peer
# tests (asan-integration-tests.txt): the real controller, agents and relayguardctl they start,
# on real Postfix, are built with the sanitizers too, and every process's report goes to a file
# (log_path) that fails the run.
#   run_sanitizers.sh [all]            build and test both, then print the summary line
#   run_sanitizers.sh build asan|tsan  configure and build one
#   run_sanitizers.sh test asan|tsan   run one's unit tests (after build)
#   run_sanitizers.sh test asan-integration  the ASan+UBSan integration tests (after build asan)
#   run_sanitizers.sh summary          "sanitizers: asan+ubsan N/N unit tests and I/I ..., tsan M/M"
# Environment: SANITIZE_BUILD_ROOT (default: the source root; dirs build-asan/ and build-tsan/),
# SANITIZE_JOBS (builds and unit test executables at a time, default 2),
# SANITIZE_INTEGRATION_JOBS (integration tests at a time, default 4), SANITIZE_TIME_SCALE (how
# many times longer the integration tests wait for their daemons, default 4; RG_TEST_TIME_SCALE
# in tests/support/wait.h), SANITIZE_NICE (niceness of the builds, default 0).
# Any sanitizer report fails the test it happens in (halt on error; UBSan aborts); a run with a
# failed test fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_root=${SANITIZE_BUILD_ROOT:-$root}
jobs=${SANITIZE_JOBS:-2}
integration_jobs=${SANITIZE_INTEGRATION_JOBS:-4}
time_scale=${SANITIZE_TIME_SCALE:-4}
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
    asan) flag=address,undefined; targets=(unit_tests asan_integration_tests) ;;
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

# One run: the tests of `exe` that `filter` selects, in one process (in the dir ctest would run
# it in, with a timeout of `timeout` seconds); prints "PASSED TOTAL NAME" and keeps the output in
# $logs/NAME.log.
run_executable() {
  local exe=$1 filter=$2 timeout=$3 name=$4 log total passed status=0
  log=$logs/$name.log
  # A listing that fails (a report at start-up) counts as one failed test, never as none.
  local listing
  if ! listing=$("$exe" --gtest_list_tests --gtest_filter="$filter" 2> "$log"); then
    echo "0 1 $name"; return
  fi
  total=$(grep -c '^  ' <<< "$listing" || true)
  (cd "$(dirname "$exe")" && timeout "$timeout" "$exe" --gtest_filter="$filter") > "$log" 2>&1 \
    || status=$?
  # "[  PASSED  ] 27 tests." is printed only for a run that got to its end.
  passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\?\..*/\1/p' "$log" | tail -n 1)
  [ "$status" -eq 0 ] || passed=$(( ${passed:-0} < total ? ${passed:-0} : total - 1 ))
  echo "${passed:-0} $total $name"
}

# Runs `runs` (lines "EXECUTABLE FILTER NAME"), `parallel` at a time, each with `timeout`; adds
# up their results in $passed and $total, their failures in $failed, and prints what failed.
run_set() {
  local parallel=$1 timeout=$2 results p t e
  export -f run_executable
  export logs
  results=$(printf '%s\n' "${runs[@]}" |
            xargs -P "$parallel" -L 1 bash -c 'run_executable "$1" "$2" "$0" "$3"' "$timeout")
  while read -r p t e; do
    [ -n "$t" ] || continue
    total=$((total + t)); passed=$((passed + p))
    if [ "$p" -ne "$t" ]; then
      failed+=("$e")
      echo "---- $e: $p of $t passed; its output ends:" >&2
      grep -E '^\[  FAILED  \]|ERROR: (Address|Leak|Thread)Sanitizer|runtime error|WARNING: ThreadSanitizer' \
        "$logs/$e.log" | head -n 20 >&2 || true
      tail -n 40 "$logs/$e.log" >&2
    fi
  done <<< "$results"
}

# The unit tests (asan: all; tsan: tsan_targets' tsan_suites), each executable once.
test_one() {
  local kind=$1 dir filter=* exe total=0 passed=0 failed=() runs=()
  dir=$(dir_of "$kind")
  [ -f "$dir/unit-tests.txt" ] && [ -f "$dir/CTestTestfile.cmake" ] || {
    echo "run_sanitizers.sh: $dir is not built (run_sanitizers.sh build $kind)" >&2; exit 1; }
  [ "$kind" = tsan ] && filter=$tsan_filter
  while read -r exe; do
    case "$kind" in
      asan) runs+=("$exe $filter $(basename "$exe")") ;;
      tsan) [[ " ${tsan_targets[*]} " == *" $(basename "$exe") "* ]] &&
              runs+=("$exe $filter $(basename "$exe")") ;;
      *) echo "run_sanitizers.sh: test asan|tsan|asan-integration, not '$kind'" >&2; exit 2 ;;
    esac
  done < "$dir/unit-tests.txt"
  logs=$dir/sanitizer-logs
  rm -rf "$logs" && mkdir -p "$logs"
  echo "== sanitizers: $kind: ${#runs[@]} unit test executables, each in one process," \
       "$jobs at a time (output: $logs)"
  run_set "$jobs" 600
  echo "$passed $total" > "$dir/sanitizer-result"
  echo "== sanitizers: $kind: $passed of $total tests passed in ${#runs[@]} executables"
  if [ "$total" -eq 0 ]; then
    echo "run_sanitizers.sh: $kind ran no tests" >&2
    return 1
  fi
  [ "${#failed[@]}" -eq 0 ]
}

# ASan+UBSan: the controller's integration and crash tests and the hostile-peer tests
# (asan-integration-tests.txt), with the programs they start (controller, agents, relayguardctl)
# built with the sanitizers. Each test in a process of its own, `integration_jobs` at a time
# (they mostly wait on Postfix and on each other, not on the CPU). A report in any process goes
# to a file of its own (log_path), so a report in a daemon the test only talks to fails the run
# as surely as one in the test itself.
test_integration() {
  local dir total=0 passed=0 failed=() runs=() reports count=0 exe suite line name
  dir=$(dir_of asan)
  [ -f "$dir/asan-integration-tests.txt" ] || {
    echo "run_sanitizers.sh: $dir is not built (run_sanitizers.sh build asan)" >&2; exit 1; }
  logs=$dir/sanitizer-integration-logs
  rm -rf "$logs" && mkdir -p "$logs"
  reports=$logs/reports
  mkdir -p "$reports"
  while read -r exe; do
    local listing
    if ! listing=$("$exe" --gtest_list_tests 2> "$logs/$(basename "$exe").list.log"); then
      runs+=("$exe * $(basename "$exe")")  # fails again in run_executable, counted there
      continue
    fi
    while IFS= read -r line; do
      if [[ "$line" =~ ^([^ ]+\.) ]]; then
        suite=${BASH_REMATCH[1]}
      elif [[ "$line" =~ ^\ \ ([^ ]+) ]]; then
        name=$(basename "$exe").$suite${BASH_REMATCH[1]}
        runs+=("$exe $suite${BASH_REMATCH[1]} ${name//\//_}")
      fi
    done <<< "$listing"
  done < "$dir/asan-integration-tests.txt"
  echo "== sanitizers: asan: ${#runs[@]} controller and hostile-peer integration tests, each in" \
       "one process, $integration_jobs at a time (output: $logs; reports of every process" \
       "they start: $reports)"
  # Every process runs several times slower here, several tests at a time: the tests' waits for
  # their daemons grow by RG_TEST_TIME_SCALE (tests/support/wait.h), each test's limit likewise.
  RG_TEST_TIME_SCALE=$time_scale ASAN_OPTIONS=$ASAN_OPTIONS:log_path=$reports/asan \
    UBSAN_OPTIONS=$UBSAN_OPTIONS:log_path=$reports/ubsan \
    run_set "$integration_jobs" $((600 * time_scale / 2))
  if compgen -G "$reports/*" > /dev/null; then
    echo "---- sanitizer reports of processes the integration tests started:" >&2
    for f in "$reports"/*; do
      count=$((count + 1))
      echo "-- $f" >&2
      head -n 60 "$f" >&2
    done
  fi
  echo "$passed $total $count" > "$dir/sanitizer-integration-result"
  echo "== sanitizers: asan: $passed of $total integration tests passed; $count sanitizer" \
       "reports from the processes they started"
  [ "$total" -gt 0 ] && [ "${#failed[@]}" -eq 0 ] && [ "$count" -eq 0 ]
}

summary() {
  local asan=("?" "?") integration=("?" "?" "?") tsan=("?" "?") a t
  a=$(dir_of asan) t=$(dir_of tsan)
  [ -f "$a/sanitizer-result" ] && read -r -a asan < "$a/sanitizer-result"
  [ -f "$a/sanitizer-integration-result" ] &&
    read -r -a integration < "$a/sanitizer-integration-result"
  [ -f "$t/sanitizer-result" ] && read -r -a tsan < "$t/sanitizer-result"
  echo "sanitizers: asan+ubsan ${asan[0]}/${asan[1]} unit tests and" \
       "${integration[0]}/${integration[1]} controller and hostile-peer integration tests" \
       "(${integration[2]:-?} reports from the processes they started), tsan ${tsan[0]}/${tsan[1]}"
}

case "${1:-all}" in
  build) build "${2:?run_sanitizers.sh build asan|tsan}" ;;
  test)
    case "${2:?run_sanitizers.sh test asan|tsan|asan-integration}" in
      asan-integration) test_integration ;;
      *) test_one "$2" ;;
    esac
    ;;
  summary) summary ;;
  all)
    status=0
    rm -f "$(dir_of asan)"/sanitizer-*result "$(dir_of tsan)/sanitizer-result"
    for kind in asan tsan; do
      build "$kind" && test_one "$kind" || status=1
    done
    test_integration || status=1
    summary
    exit $status
    ;;
  *) echo "usage: run_sanitizers.sh [all | build asan|tsan | test asan|tsan | summary]" >&2
     exit 2 ;;
esac
