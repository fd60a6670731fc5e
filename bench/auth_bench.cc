// auth_bench: what SMTP AUTH costs (issue 13). Per MTA, with a real working backend (Postfix +
// Dovecot, Exim light + a password file, Sendmail + sasldb2; bench/auth_bench_targets.h), the
// real relayguard-agent binary:
//   - N times `apply --json` of a require-auth playbook (STARTTLS on, tls_only) and `rollback`:
//     the whole apply (sum of the --json report's timings_ms) and its phases auth-preflight
//     (credential + backend check + Exim's staged -bh session), reload/restart and verify (the
//     relay probes plus the AUTH proof: smoke AUTH relays, wrong password and a random PLAIN
//     blob refused on every listener that offers AUTH);
//   - then the policy applied once more and N times `check --json --policy`: auth_check_ms, the
//     AUTH part of a compliance check (backend check + the same AUTH proof).
// Prints medians; exits 1 when an apply does not come out "applied" or a check not "compliant".
//
// Why the numbers are what they are: the verification must see a wrong password refused, and
// Dovecot answers every failed AUTH only after auth_failure_delay (2 s by default, flushed in
// batches: 1.5-2 s), so Postfix + Dovecot's verify and AUTH part cannot be much under 2 s;
// relayguard sends the password-checked bogus attempts at one instant so that the delay is paid
// once (when one of them reaches Dovecot after the other failed, it also pays the penalty
// below: an occasional ~6 s run). Dovecot penalises the client address for ~4 s after a failure:
// a check started within that window from the same untrusted source waits for it. A real host
// checks minutes apart, so to show that steady state the bench sends each run from a fresh
// untrusted source (127.0.0.100 + k: the playbook's probe.untrusted_source, outside
// trusted_networks) for a backend that penalises, and prints one back-to-back check from the
// same source on its own line. Exim's password file and Sendmail's sasldb2 have no such delay;
// their runs all come from 127.0.0.9 (Sendmail needs the source in the sandbox's /etc/hosts).
//
// usage: auth_bench [--iterations N] [--mta postfix,exim,sendmail] [--agent PATH]
//        (inside mta_sandbox.sh)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "bench/auth_bench_targets.h"
#include "tests/support/postfix_lab.h"

namespace relayguard::bench {
namespace {

using Json = nlohmann::json;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::WriteFileOrDie;

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// One agent run: exit code, its --json report (stdout), and the wall time of the process.
struct AgentRun {
  int exit_code = -1;
  std::string output;
  Json report;
  double wall_ms = 0;
};

// `agent`: another relayguard-agent build to time (e.g. a branch's), "" for this tree's.
AgentRun RunAgent(const AuthTarget& target, const std::string& agent,
                  const std::vector<std::string>& args) {
  AgentRun run;
  std::vector<std::string> argv = target.AgentArgv(args);
  if (!agent.empty()) argv.at(0) = agent;
  const auto started = std::chrono::steady_clock::now();
  run.exit_code = RunCommand(argv, &run.output, {}, nullptr, /*keep_stderr=*/false);
  run.wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  run.report = Json::parse(run.output, nullptr, /*allow_exceptions=*/false);
  return run;
}

// Thrown to end the bench with exit 1: what failed and the agent's report (no secret in it:
// the agent redacts the smoke credential everywhere).
struct BenchFailure {
  std::string what;
};

void Expect(bool ok, const std::string& what, const AgentRun& run) {
  if (!ok) {
    throw BenchFailure{what + " (exit " + std::to_string(run.exit_code) + "):\n" + run.output};
  }
}

std::string StringField(const Json& report, const char* key) {
  return report.is_object() && report.contains(key) && report[key].is_string()
             ? report[key].get<std::string>()
             : "";
}

class Bench {
 public:
  Bench(AuthTarget& target, int iterations, std::string agent)
      : target_(target), iterations_(iterations), agent_(std::move(agent)) {}

  void Run() {
    target_.Start();
    MeasureApplies();
    const std::string policy = WritePlaybook(NextSource());
    AgentRun apply = RunAgent(target_, agent_, {"apply", "--policy", policy, "--json"});
    Expect(apply.exit_code == 0 && StringField(apply.report, "outcome") == "applied",
           target_.name() + ": require-auth apply before the checks did not come out applied",
           apply);
    MeasureChecks();
    if (target_.penalises_failures()) MeasureBackToBackCheck();
    AgentRun rollback = RunAgent(target_, agent_, {"rollback", "--json"});
    Expect(rollback.exit_code == 0, target_.name() + ": rollback after the checks failed",
           rollback);
    target_.Stop();
  }

  void Print() const {
    auto phase = [&](const char* name) {
      auto it = phases_.find(name);
      return it == phases_.end() ? 0.0 : Median(it->second);
    };
    const double reload = phase("reload") + phase("restart");
    std::printf(
        "require-auth apply %s: total %.1f ms (auth-preflight %.1f ms, reload %.1f ms, "
        "verify %.1f ms)  [%s backend, STARTTLS, tls_only; min %.1f, max %.1f]\n",
        target_.name().c_str(), Median(totals_), phase("auth-preflight"), reload, phase("verify"),
        target_.backend().c_str(), *std::min_element(totals_.begin(), totals_.end()),
        *std::max_element(totals_.begin(), totals_.end()));
    std::printf(
        "compliance AUTH part %s: %.1f ms (the whole check process %.1f ms)  [min %.1f, max "
        "%.1f]\n",
        target_.name().c_str(), Median(auth_parts_), Median(check_walls_),
        *std::min_element(auth_parts_.begin(), auth_parts_.end()),
        *std::max_element(auth_parts_.begin(), auth_parts_.end()));
    if (!back_to_back_.empty()) {
      std::printf(
          "compliance AUTH part %s, back to back from one source: %.1f ms  (%s's per-IP "
          "penalty after the previous check's failed AUTH; the line above is the steady state)\n",
          target_.name().c_str(), back_to_back_.back(), target_.backend().c_str());
    }
    std::fflush(stdout);
  }

 private:
  // A fresh untrusted source per run for a backend that penalises failed AUTH per client
  // address (see the top of the file); the policy's default one otherwise.
  std::string NextSource() {
    if (!target_.penalises_failures()) return "127.0.0.9";
    return "127.0.0." + std::to_string(100 + next_source_++);
  }

  std::string WritePlaybook(const std::string& source) {
    const std::string path = target_.work_dir() + "/require-auth-bench.yaml";
    WriteFileOrDie(path, target_.Playbook(source));
    return path;
  }

  void MeasureApplies() {
    for (int i = 0; i < iterations_; ++i) {
      const std::string policy = WritePlaybook(NextSource());
      AgentRun apply = RunAgent(target_, agent_, {"apply", "--policy", policy, "--json"});
      Expect(apply.exit_code == 0 && StringField(apply.report, "outcome") == "applied",
             target_.name() + ": require-auth apply did not come out applied", apply);
      double total = 0;
      for (const auto& [phase, ms] : apply.report["timings_ms"].items()) {
        phases_[phase].push_back(ms.get<double>());
        total += ms.get<double>();
      }
      totals_.push_back(total);
      AgentRun rollback = RunAgent(target_, agent_, {"rollback", "--json"});
      Expect(rollback.exit_code == 0, target_.name() + ": rollback failed", rollback);
    }
  }

  AgentRun Check(const std::string& source) {
    const std::string policy = WritePlaybook(source);
    AgentRun check = RunAgent(target_, agent_, {"check", "--json", "--policy", policy});
    Expect(check.exit_code == 0 && StringField(check.report, "status") == "compliant" &&
               check.report.contains("auth_check_ms"),
           target_.name() + ": the compliance check after require-auth is not compliant", check);
    return check;
  }

  void MeasureChecks() {
    for (int i = 0; i < iterations_; ++i) {
      last_source_ = NextSource();
      AgentRun check = Check(last_source_);
      auth_parts_.push_back(check.report["auth_check_ms"].get<double>());
      check_walls_.push_back(check.wall_ms);
    }
  }

  // One more check from the last check's source right after it: it pays the penalty for that
  // check's failed (bogus) AUTH.
  void MeasureBackToBackCheck() {
    back_to_back_.push_back(Check(last_source_).report["auth_check_ms"].get<double>());
  }

  AuthTarget& target_;
  const int iterations_;
  const std::string agent_;
  int next_source_ = 0;
  std::string last_source_;
  std::map<std::string, std::vector<double>> phases_;
  std::vector<double> totals_;
  std::vector<double> auth_parts_;
  std::vector<double> check_walls_;
  std::vector<double> back_to_back_;
};

std::unique_ptr<AuthTarget> MakeTarget(const std::string& mta) {
  if (mta == "postfix") return MakePostfixTarget();
  if (mta == "exim") return MakeEximTarget();
  if (mta == "sendmail") return MakeSendmailTarget();
  return nullptr;
}

int Main(int argc, char** argv) {
  int iterations = 5;
  std::string agent;  // --agent PATH
  std::string mtas = "postfix,exim,sendmail";
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--iterations") iterations = std::atoi(argv[i + 1]);
    if (std::string(argv[i]) == "--mta") mtas = argv[i + 1];
    if (std::string(argv[i]) == "--agent") agent = argv[i + 1];
  }
  if (iterations < 1 || iterations > 40) {
    std::fprintf(stderr, "auth_bench: --iterations must be 1..40\n");
    return 2;
  }
  if (std::getenv("RELAYGUARD_IN_MTA_SANDBOX") == nullptr) {
    std::fprintf(stderr,
                 "auth_bench: run it inside tests/support/mta_sandbox.sh (Dovecot, Cyrus SASL "
                 "and the private /etc are there)\n");
    return 2;
  }
  std::printf("SMTP AUTH, real MTAs and backends, %d iterations (medians):\n", iterations);
  std::fflush(stdout);
  for (const std::string& mta : std::vector<std::string>(absl::StrSplit(mtas, ','))) {
    try {
      std::unique_ptr<AuthTarget> target = MakeTarget(mta);
      if (!target) {
        std::fprintf(stderr, "auth_bench: unknown MTA \"%s\" (postfix, exim, sendmail)\n",
                     mta.c_str());
        return 2;
      }
      Bench bench(*target, iterations, agent);
      bench.Run();
      bench.Print();
    } catch (const BenchFailure& f) {
      std::fprintf(stderr, "auth_bench: %s\n", f.what.c_str());
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "auth_bench: %s lab: %s\n", mta.c_str(), e.what());
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace relayguard::bench

int main(int argc, char** argv) { return relayguard::bench::Main(argc, argv); }
