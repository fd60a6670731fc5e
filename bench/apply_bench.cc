// Benchmark: one apply transaction on a real, sandboxed Postfix (apply + rollback, N times),
// run as the real relayguard-agent process. Prints per-phase times from the agent's --json
// report and the agent's peak RSS (wait4's ru_maxrss). Targets: relayguard's own work
// (everything but Postfix's reload and the wait for it to settle) under 50 ms; peak RSS under
// 20 MiB (issue 2); the whole apply, open relay to verified closed, at most 600 ms (issue 11).

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "tests/support/postfix_lab.h"

namespace {

struct Run {
  int exit_code = -1;
  long max_rss_kib = 0;
  std::string output;
};

Run RunAgent(const std::vector<std::string>& argv) {
  Run run;
  run.exit_code = relayguard::testing::RunCommand(argv, &run.output, {}, &run.max_rss_kib,
                                                  /*keep_stderr=*/false);
  return run;
}

// The "timings_ms" object of the agent's JSON report.
std::map<std::string, double> Timings(const std::string& json) {
  std::map<std::string, double> out;
  size_t at = json.find("\"timings_ms\":{");
  if (at == std::string::npos) return out;
  at += 14;
  while (at < json.size() && json[at] == '"') {
    size_t end = json.find('"', at + 1);
    std::string key = json.substr(at + 1, end - at - 1);
    out[key] = std::strtod(json.c_str() + end + 2, nullptr);
    at = json.find_first_of(",}", end);
    if (json[at] == '}') break;
    ++at;
  }
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 5;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--iterations") iterations = std::atoi(argv[i + 1]);
  }
  relayguard::testing::PostfixLab lab("0.0.0.0/0");
  lab.Start();
  std::string policy = relayguard::testing::SourcePath("tests/data/apply/close.yaml");
  std::map<std::string, std::vector<double>> phases;
  std::vector<double> own_work, total;
  long max_rss = 0;
  for (int i = 0; i < iterations; ++i) {
    Run apply = RunAgent(lab.AgentArgv({"apply", "--policy", policy, "--json"}));
    if (apply.exit_code != 0) {
      std::fprintf(stderr, "apply failed (exit %d):\n%s\n", apply.exit_code, apply.output.c_str());
      return 1;
    }
    std::map<std::string, double> t = Timings(apply.output);
    double sum = 0, own = 0;
    for (const auto& [phase, ms] : t) {
      phases[phase].push_back(ms);
      sum += ms;
      // The MTA's own time and SMTP round trips: the reload, the probes that check every
      // listener answers before the change ("reach") and is closed after it ("verify").
      if (phase != "reload" && phase != "restart" && phase != "verify" && phase != "reach") {
        own += ms;
      }
    }
    own_work.push_back(own);
    total.push_back(sum);
    max_rss = std::max(max_rss, apply.max_rss_kib);
    Run rollback = RunAgent(lab.AgentArgv({"rollback", "--policy", policy, "--json"}));
    if (rollback.exit_code != 0) {
      std::fprintf(stderr, "rollback failed (exit %d):\n%s\n", rollback.exit_code,
                   rollback.output.c_str());
      return 1;
    }
    max_rss = std::max(max_rss, rollback.max_rss_kib);
  }
  std::printf("apply transaction on a real Postfix, %d iterations (median ms per phase):\n",
              iterations);
  for (const auto& [phase, values] : phases) {
    std::printf("  %-10s %8.1f ms\n", phase.c_str(), Median(values));
  }
  std::printf(
      "apply total (open relay -> verified closed)       %8.1f ms   (target <= 600 ms; "
      "min %.1f, max %.1f)\n",
      Median(total), *std::min_element(total.begin(), total.end()),
      *std::max_element(total.begin(), total.end()));
  std::printf(
      "apply excluding Postfix reload and SMTP probes    %8.1f ms   (target < 50 ms; "
      "min %.1f, max %.1f)\n",
      Median(own_work), *std::min_element(own_work.begin(), own_work.end()),
      *std::max_element(own_work.begin(), own_work.end()));
  std::printf("agent peak RSS (apply and rollback)               %8.1f MiB  (target < 20 MiB)\n",
              max_rss / 1024.0);
  return 0;
}
