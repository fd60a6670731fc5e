// relayguard-agent status: the MTA, every listener probed from the untrusted and the trusted
// address, and (with --policy) the settings' drift.
#include "agent/cli/agent_cli.h"
#include "agent/cli/agent_context.h"
#include "agent/cli/report_output.h"

namespace relayguard::agent {

int RunStatus(Agent& a, const std::optional<Policy>& policy, std::ostream& out) {
  StatusReport s;
  s.mta = a.driver->Kind();
  s.config_dir = ConfigDir(a.flags.mta, a.driver->Kind());
  ProbeSettings probe = policy ? policy->probe : DefaultProbeSettings();
  if (policy) {
    s.policy = policy->name;
    s.version = policy->version;
  }
  auto fail = [&](const absl::Status& st) {
    s.error = std::string(st.message());
    out << (a.flags.json ? JsonStatus(s) : HumanStatus(s));
    return kExitRefused;
  };
  absl::StatusOr<std::string> version = a.driver->Version();
  if (!version.ok()) return fail(version.status());
  s.mta_version = *version;
  absl::StatusOr<std::vector<Listener>> listeners = a.driver->Listeners();
  if (!listeners.ok()) return fail(listeners.status());
  s.warnings = MarkInternalListeners(probe, *listeners);
  absl::StatusOr<bool> running = a.driver->IsRunning();
  s.running = running.ok() && *running;
  auto tests = BasicRelayTests(probe.sender, probe.foreign_recipient);
  for (Listener& l : *listeners) {
    ListenerResult& r = s.listeners.emplace_back();
    r.listener = std::move(l);
    r.note = WhyNotProbed(probe, r.listener);
    if (!r.note.empty()) continue;
    r.untrusted = a.checker.Probe(r.listener.endpoint, tests,
                                  ListenerProbeOptions(probe, ProbeSource::kUntrusted, r.listener));
    r.verdict = r.untrusted->verdict;
    r.trusted = a.checker.Probe(r.listener.endpoint, tests,
                                ListenerProbeOptions(probe, ProbeSource::kTrusted, r.listener));
  }
  s.compliant = HostVerdict(s.listeners) == ProbeVerdict::kRefused;
  if (policy) {
    absl::StatusOr<std::vector<SettingDrift>> drift = a.driver->CheckDrift(*policy);
    if (!drift.ok()) return fail(drift.status());
    s.drift = *drift;
    s.compliant = s.compliant && s.drift.empty();
  }
  if (auto history = a.store->History(1); history.ok() && !history->empty()) {
    s.last_commit = history->front();
  }
  out << (a.flags.json ? JsonStatus(s) : HumanStatus(s));
  return s.compliant ? kExitOk : kExitNotCompliant;
}

}  // namespace relayguard::agent
