#!/bin/bash
# The test command: installs what the tests need, builds everything, runs every test (unit and
# integration: real Postfix, Exim and Sendmail on loopback; browser: the dashboard in Debian's
# Chromium; package: the .debs under systemd; crash: crash matrices and hostile peers; fuzz: the
# fuzz targets) with CTest; the unit tests, the controller's integration and crash tests and the
# hostile-peer tests again under ASan+UBSan, and the controller's concurrent parts under TSan;
# then the benchmarks.
# Fails on any failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# Where the time goes, printed at the end: "NAME SECONDS" per phase.
phases=()
phase_start=$SECONDS
phase_done() {
  phases+=("$1 $((SECONDS - phase_start))")
  phase_start=$SECONDS
}
bash "$root/deploy/install_deps.sh"
# The browser tests' driver: playwright-core from the npm registry, pinned by
# tests/browser/package-lock.json. It downloads no browser; the tests drive Debian's chromium.
if ! command -v npm > /dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm > /dev/null
fi
(cd "$root/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
phase_done "install"
bash "$root/deploy/build.sh"
build=${BUILD_DIR:-$root/build}
phase_done "build"
cd "$build"
# Issue 17's hardening builds, each in a dir of its own under the build dir: the fuzz targets
# (clang, libFuzzer, ASan+UBSan; fuzz/run_fuzz.sh), the unit tests with clang's ASan+UBSan and the
# controller's concurrent parts with TSan (tests/run_sanitizers.sh). They build beside the suite
# at idle CPU priority (SCHED_IDLE: they take only the CPU the suite leaves, so its timings are not
# disturbed), and run after it.
hardening_log=$build/hardening-build.log
export FUZZ_BUILD_DIR=$build/fuzz-build SANITIZE_BUILD_ROOT=$build
setsid bash -c '
  set -e
  chrt --idle 0 bash "$1/fuzz/run_fuzz.sh" build
  chrt --idle 0 bash "$1/tests/run_sanitizers.sh" build asan
  chrt --idle 0 bash "$1/tests/run_sanitizers.sh" build tsan' hardening "$root" \
  > "$hardening_log" 2>&1 &
hardening_build=$!
trap 'kill -- "-$hardening_build" 2> /dev/null || true' EXIT
ctest --output-on-failure --timeout 600 -j2 -LE fuzz "$@"
phase_done "suite"
echo "== waiting for the hardening builds (fuzz, ASan+UBSan, TSan; log: $hardening_log)"
if ! wait "$hardening_build"; then
  tail -n 60 "$hardening_log" >&2
  echo "run_all.sh: a hardening build failed (log: $hardening_log)" >&2
  exit 1
fi
trap - EXIT
phase_done "hardening-builds-after-suite"
# The controller's integration and crash tests and the hostile-peer tests under ASan+UBSan, with
# the controller, agents and relayguardctl they start built with the sanitizers. They mostly
# wait (on Postfix, on restarts), so they run in the background beside the fuzz runs and the
# unit tests' sanitizer runs, which keep the CPU busy.
integration_log=$build/asan-integration.log
setsid bash "$root/tests/run_sanitizers.sh" test asan-integration > "$integration_log" 2>&1 &
asan_integration=$!
trap 'kill -- "-$asan_integration" 2> /dev/null || true' EXIT
# The fuzz targets, each for a bounded number of executions (fuzz/ci_runs.txt) after replaying
# its regression inputs (label fuzz).
ctest --output-on-failure --timeout 600 -j2 -L fuzz
phase_done "fuzz"
# The unit tests under ASan+UBSan (LeakSanitizer on), the concurrent parts under TSan.
bash "$root/tests/run_sanitizers.sh" test asan
bash "$root/tests/run_sanitizers.sh" test tsan
phase_done "sanitizers"
echo "== waiting for the ASan+UBSan integration tests (log: $integration_log)"
integration_status=0
wait "$asan_integration" || integration_status=$?
trap - EXIT
cat "$integration_log"
if [ "$integration_status" -ne 0 ]; then
  echo "run_all.sh: the ASan+UBSan integration tests failed (log: $integration_log)" >&2
  exit 1
fi
phase_done "asan-integration-after-sanitizers"
# The crash matrices' figures (tests/agent/apply/crash_matrix_integration_test.cc per MTA,
# tests/controller/controller_crash_matrix_test.cc).
if compgen -G "crash-matrix/*.txt" > /dev/null; then
  echo "== crash matrix (agent per MTA and controller SIGKILLed at every fault point; kills survived) =="
  cat crash-matrix/*.txt
fi
echo "== sanitizers =="
bash "$root/tests/run_sanitizers.sh" summary
# The fuzz runs' figures (fuzz/run_fuzz.sh ci), per target.
if compgen -G "fuzz-build/figures/*.txt" > /dev/null; then
  echo "== fuzz (fixed seed and executions per target: fuzz/ci_runs.txt) =="
  cat fuzz-build/figures/*.txt
fi
# The suite leaves the disk busy writing back what its MTA instances wrote; the apply bench
# fsyncs its backups and files, so let that settle first and time the apply, not the suite.
sync
echo "== benchmark (apply transaction, agent peak RSS) =="
"./bench/apply_bench" --iterations 11
echo "== benchmark (log monitor: lines per second, CPU at 100 lines/s, memory bounds) =="
"./bench/monitor_bench" --seconds 20
echo "== benchmark (SMTP AUTH: require-auth apply per MTA, AUTH part of a compliance check) =="
# Real Dovecot, Cyrus SASL, Exim and Sendmail: inside the sandbox, like the integration tests.
bash "$root/tests/support/mta_sandbox.sh" ./bench/auth_bench --iterations 5
echo "== benchmark (controller with simulated agents on the real protocol) =="
"./bench/fleet_load" --agents 1000
echo "== benchmark (relayguardctl scan against nmap smtp-open-relay, real Postfix listeners) =="
"./bench/scan_bench" --listeners 40
phase_done "benchmarks"
echo "== time per phase (seconds) =="
printf '%s\n' "${phases[@]}"
echo "total $SECONDS"
