// Fakes for the logic around the apply transaction (ApplyTransaction, ComplianceChecker): a
// clock that does not sleep, an MTA whose "policy" is two files reading "closed\n", and relay
// probes with scripted verdicts. The real MTAs are driven in the *_integration_test.cc files.
#ifndef RELAYGUARD_TESTS_SUPPORT_APPLY_FAKES_H_
#define RELAYGUARD_TESTS_SUPPORT_APPLY_FAKES_H_

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "agent/mta/mta_driver.h"
#include "agent/probe/relay_checker.h"
#include "common/clock.h"

namespace relayguard::agent {

class FakeClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return now_; }
  int64_t WallSeconds() override { return wall; }
  void SleepFor(std::chrono::milliseconds d) override { now_ += d; }
  int64_t wall = 1700000000;  // seconds since the epoch; tests move it

 private:
  std::chrono::steady_clock::time_point now_{};
};

// Two managed files; the policy "closes" them by setting their text to "closed\n".
class FakeDriver : public MtaDriver {
 public:
  explicit FakeDriver(std::string dir) : dir_(std::move(dir)) {}
  std::string Kind() const override { return "fake"; }
  absl::StatusOr<std::string> Version() override { return std::string("1.0"); }
  std::vector<std::string> ManagedFiles() const override { return {dir_ + "/a.cf", dir_ + "/b.cf"}; }
  absl::StatusOr<RenderedChange> Render(const Policy&, const FileContents& current) override {
    RenderedChange change;
    change.new_contents = current;
    if (policy_holds_as_is) return change;
    for (auto& [path, text] : change.new_contents) {
      if (text != "closed\n") change.changed_settings.push_back(path);
      text = "closed\n";
    }
    return change;
  }
  absl::Status ValidateStaged(const FileContents&, const std::string&) override {
    commands.push_back("validate");
    return validate_status;
  }
  absl::StatusOr<bool> IsRunning() override { return true; }
  absl::Status Reload(bool restart) override {
    commands.push_back(restart ? "restart" : "reload");
    absl::Status s = reload_results.empty() ? absl::OkStatus() : reload_results.front();
    if (!reload_results.empty()) reload_results.pop_front();
    return s;
  }
  absl::StatusOr<std::vector<Listener>> Listeners() override {
    if (!listeners_status.ok()) return listeners_status;
    return listeners;
  }
  // One relay listener at 127.0.0.1:PORT declared in a.cf.
  static Listener MakeListener(uint16_t port, ListenerRole role = ListenerRole::kRelay) {
    Listener l;
    l.endpoint = SmtpEndpoint{*ParseIpAddress("127.0.0.1"), port};
    l.bind = "127.0.0.1";
    l.loopback_only = true;
    l.role = role;
    l.service = std::to_string(port);
    l.declared_at = "a.cf:1";
    return l;
  }
  absl::StatusOr<std::vector<SettingDrift>> CheckDrift(const Policy&) override {
    if (!drift_status.ok()) return drift_status;
    return drift;
  }

  absl::StatusOr<BackendAnswer> PreflightAuth(const Policy&, const SmokeCredential& credential,
                                              const FileContents&, const std::string&) override {
    commands.push_back("auth-preflight");
    preflight_user = credential.username;
    if (!preflight_auth.ok()) return preflight_auth;
    BackendAnswer answer;
    answer.summary = "fake backend: PLAIN LOGIN";
    return answer;
  }

  absl::Status preflight_auth;  // when not OK, PreflightAuth fails with it
  std::string preflight_user;   // the credential's user the last preflight got
  std::vector<std::string> commands;  // what the transaction asked the MTA to do
  absl::Status validate_status;
  std::deque<absl::Status> reload_results;
  std::vector<SettingDrift> drift;
  absl::Status drift_status;  // when not OK, CheckDrift() fails with it
  bool policy_holds_as_is = false;  // Render changes nothing, whatever the files say
  std::vector<Listener> listeners = {MakeListener(2525)};
  absl::Status listeners_status;  // when not OK, Listeners() fails with it

 private:
  std::string dir_;
};

class ScriptedChecker : public RelayChecker {
 public:
  ProbeReport Probe(const SmtpEndpoint& endpoint, const std::vector<RelayTest>& tests,
                    const ProbeOptions& options) override {
    ProbeReport report;
    report.endpoint = endpoint;
    report.source = options.source;
    bool trusted = options.source.ToString() == "127.0.0.1";
    report.verdict = trusted ? trusted_verdict : untrusted_fn ? untrusted_fn() : untrusted_verdict;
    if (!trusted) {
      auto it = untrusted_by_port.find(endpoint.port);
      if (it != untrusted_by_port.end()) report.verdict = it->second;
    }
    endpoints_probed.push_back(endpoint.ToString() + (trusted ? " trusted" : " untrusted") +
                               (options.tls_on_connect ? " tls" : ""));
    for (const RelayTest& t : tests) {
      RelayTestResult r;
      r.test = t;
      r.verdict = report.verdict;
      r.detail = "scripted";
      report.tests.push_back(r);
    }
    ++probes;
    return report;
  }
  absl::Status Greeting(const SmtpEndpoint&, const ProbeOptions&) override {
    if (greetings_before_failure > 0) {
      --greetings_before_failure;
      return absl::OkStatus();
    }
    return greeting;
  }
  AuthProbeReport ProbeAuth(const SmtpEndpoint& endpoint, const AuthProbeRequest& request,
                            const ProbeOptions&) override {
    std::lock_guard<std::mutex> lock(auth_mu);  // the bogus pass asks from several threads
    ++auth_probes;
    if (auth_fn) return auth_fn(endpoint, request);
    AuthProbeReport report;
    report.endpoint = endpoint;
    report.inconclusive = true;
    report.error = "no scripted AUTH answer";
    return report;
  }

  // When set, answers ProbeAuth.
  std::function<AuthProbeReport(const SmtpEndpoint&, const AuthProbeRequest&)> auth_fn;
  int auth_probes = 0;
  std::mutex auth_mu;
  ProbeVerdict untrusted_verdict = ProbeVerdict::kRefused;
  std::function<ProbeVerdict()> untrusted_fn;  // when set, decides the untrusted verdict
  ProbeVerdict trusted_verdict = ProbeVerdict::kRelayAccepted;
  std::map<uint16_t, ProbeVerdict> untrusted_by_port;  // overrides the untrusted verdict there
  absl::Status greeting;
  int greetings_before_failure = 0;  // this many greetings succeed before `greeting` applies
  int probes = 0;
  std::vector<std::string> endpoints_probed;  // "127.0.0.1:2525 untrusted[ tls]", in order
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_TESTS_SUPPORT_APPLY_FAKES_H_
