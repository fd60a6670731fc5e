#include "agent/compliance/compliance_check.h"

#include <unistd.h>

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/apply/auth_proof.h"
#include "agent/apply/commit_record.h"
#include "agent/policy/policy_loader.h"
#include "common/hostname.h"
#include "agent/probe/relay_tricks.h"
#include "common/logging.h"
#include "common/schedule.h"

namespace relayguard::agent {
namespace {

// The record of a commit that takes files changed outside relayguard as the new baseline.
CommitRecord BaselineRecord(const Policy& policy) {
  CommitRecord r;
  r.action = CommitAction::kBaseline;
  r.policy = policy.name;
  r.version = policy.version;
  return r;
}

// Below Postfix's soft error limit (10 refused commands slow a client down).
constexpr size_t kTricksPerConnection = 5;

std::string DomainOf(const std::string& address) {
  size_t at = address.rfind('@');
  return at == std::string::npos ? address : address.substr(at + 1);
}

std::string LocalOf(const std::string& address) {
  size_t at = address.rfind('@');
  return at == std::string::npos ? address : address.substr(0, at);
}

// Every trick against one listener, a few per connection, merged into one report.
ProbeReport ProbeAllTricks(RelayChecker& checker, const Listener& listener,
                           const ProbeSettings& settings, const std::string& server_name) {
  const SmtpEndpoint& endpoint = listener.endpoint;
  std::vector<RelayTest> tricks =
      AllRelayTricks(TrickDomainsFor(settings, endpoint, server_name));
  const ProbeOptions options = ListenerProbeOptions(settings, ProbeSource::kUntrusted, listener);
  ProbeReport merged;
  merged.tls_on_connect = options.tls_on_connect;
  merged.endpoint = endpoint;
  merged.source = settings.untrusted_source;
  // Each part's own verdict counts (it knows, e.g., that a failed STARTTLS left the TLS half
  // untested without making a refused server inconclusive).
  bool any_accepted = false, all_refused = true;
  for (size_t i = 0; i < tricks.size(); i += kTricksPerConnection) {
    std::vector<RelayTest> batch(tricks.begin() + i,
                                 tricks.begin() + std::min(tricks.size(), i + kTricksPerConnection));
    ProbeReport part = checker.Probe(endpoint, batch, options);
    any_accepted = any_accepted || part.verdict == ProbeVerdict::kRelayAccepted;
    all_refused = all_refused && part.verdict == ProbeVerdict::kRefused;
    for (RelayTestResult& t : part.tests) merged.tests.push_back(std::move(t));
  }
  merged.verdict = any_accepted  ? ProbeVerdict::kRelayAccepted
                   : all_refused ? ProbeVerdict::kRefused
                                 : ProbeVerdict::kInconclusive;
  return merged;
}

std::string AcceptedTricks(const ProbeReport& report) {
  std::vector<std::string> names;
  for (const RelayTestResult& t : report.tests) {
    if (t.verdict == ProbeVerdict::kRelayAccepted) names.push_back(t.test.name);
  }
  // One line stays readable with 20 tricks: the count and the first; every accepted trick is in
  // the listener's probe detail (--json) and in `relayguardctl compliance --diff`.
  std::string out = absl::StrCat(names.size(), "/", report.tests.size(), " tricks relayed");
  if (!names.empty()) absl::StrAppend(&out, ", first: ", names.front());
  return out;
}

std::string FirstInconclusive(const ProbeReport& report) {
  for (const RelayTestResult& t : report.tests) {
    if (t.verdict == ProbeVerdict::kInconclusive) return absl::StrCat(t.test.name, ": ", t.detail);
  }
  return "no relay test could run";
}

std::string SettingsText(const std::vector<SettingDrift>& drift, bool unproven) {
  std::vector<std::string> parts;
  for (const SettingDrift& d : drift) {
    if (d.unproven == unproven) parts.push_back(DriftText(d));
  }
  return absl::StrJoin(parts, "; ");
}

// What the probes found, one part per listener that relayed (or, with `inconclusive`, that
// could not be judged).
std::vector<std::string> ListenerFindings(const std::vector<ListenerResult>& results,
                                          const IpAddress& source, ProbeVerdict which) {
  std::vector<std::string> parts;
  for (const ListenerResult& r : results) {
    if (r.listener.internal || r.verdict != which) continue;
    if (!r.untrusted) {
      if (which == ProbeVerdict::kInconclusive) parts.push_back(r.note);
      continue;
    }
    if (which == ProbeVerdict::kRelayAccepted) {
      parts.push_back(absl::StrCat("relay open on ", r.listener.Name(), " from ", source.ToString(),
                                   ": ", AcceptedTricks(*r.untrusted)));
    } else {
      parts.push_back(absl::StrCat("listener ", r.listener.Name(),
                                   " not proven closed: ", FirstInconclusive(*r.untrusted)));
    }
  }
  return parts;
}

}  // namespace

ComplianceChecker::ComplianceChecker(MtaDriver& driver, FileSystem& fs, GitBackupStore& store,
                                     RelayChecker& checker, ApplyTransaction& transaction)
    : driver_(driver), fs_(fs), store_(store), checker_(checker), transaction_(transaction) {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0 && ValidHostName(name)) server_name_ = name;
}

RelayTrickDomains TrickDomainsFor(const ProbeSettings& probe, const SmtpEndpoint& endpoint,
                                  const std::string& server_name) {
  RelayTrickDomains d;
  d.target_ip = endpoint.host.ToString();
  d.target_host = server_name.empty() ? "[" + endpoint.host.ToString() + "]" : server_name;
  d.local_user = "relaytest";
  d.sender_domain = DomainOf(probe.sender);
  d.victim_user = LocalOf(probe.foreign_recipient);
  d.victim_domain = DomainOf(probe.foreign_recipient);
  return d;
}

absl::StatusOr<std::vector<ChangedFile>> ComplianceChecker::ChangedSinceLastCommit(
    const std::vector<FileSnapshot>& live) {
  absl::StatusOr<std::vector<CommitInfo>> head = store_.History(1);
  if (!head.ok()) return head.status();
  std::vector<ChangedFile> changed;
  if (head->empty()) return changed;  // never backed up: no baseline to compare with
  absl::StatusOr<std::vector<FileSnapshot>> committed = store_.ReadCommit(head->front().id);
  if (!committed.ok()) return committed.status();
  std::map<std::string, const FileSnapshot*> old_files;
  for (const FileSnapshot& f : *committed) old_files[f.path] = &f;
  for (const FileSnapshot& f : live) {
    auto it = old_files.find(f.path);
    const std::string old_text = it != old_files.end() && it->second->present
                                     ? it->second->contents
                                     : "";
    std::string diff = UnifiedDiff(f.path, old_text, f.contents);
    if (diff.empty()) continue;
    changed.push_back(ChangedFile{f.path, std::move(diff), f.info.modified_at});
  }
  return changed;
}

ComplianceResult ComplianceChecker::Check(const Policy& policy, int64_t now,
                                          const EnforceGate& gate) {
  auto log = Logger("agent.compliance");
  ComplianceResult r;
  r.policy = policy.name;
  r.version = policy.version;
  r.mode = policy.compliance ? policy.compliance->mode : ComplianceMode::kAudit;
  r.checked_at = now;
  auto error = [&](const std::string& what) {
    r.status = ComplianceStatus::kError;
    r.error = what;
    r.summary = what;
    log->warn("compliance check of {} v{}: {}", policy.name, policy.version, what);
    return r;
  };

  absl::StatusOr<std::vector<FileSnapshot>> live = ReadLiveFiles(driver_, fs_);
  if (!live.ok()) return error(std::string(live.status().message()));
  absl::StatusOr<std::vector<ChangedFile>> changed = ChangedSinceLastCommit(*live);
  if (!changed.ok()) {
    return error(absl::StrCat("cannot compare with the backup: ", changed.status().message()));
  }
  r.changed_files = std::move(*changed);
  absl::StatusOr<std::vector<SettingDrift>> drift = driver_.CheckDrift(policy);
  if (!drift.ok()) {
    const std::string why =
        absl::StrCat("cannot read the effective settings: ", drift.status().message());
    // A configuration relayguard cannot read (a declaration, a table) is not proven closed; a
    // check that could not run at all (a missing file, a tool that fails) is an error.
    if (absl::IsInvalidArgument(drift.status()) || absl::IsUnimplemented(drift.status())) {
      r.status = ComplianceStatus::kInconclusive;
      r.summary = why;
      r.error = why;
      log->warn("compliance check of {} v{}: {}", policy.name, policy.version, why);
      return r;
    }
    return error(why);
  }
  r.settings = std::move(*drift);
  absl::StatusOr<std::vector<Listener>> listeners = driver_.Listeners();
  if (!listeners.ok()) {
    // A configuration whose listeners cannot be read cannot be proven closed.
    r.status = ComplianceStatus::kInconclusive;
    r.summary = absl::StrCat("cannot tell where the MTA listens: ", listeners.status().message());
    r.error = r.summary;
    log->warn("compliance check of {} v{}: {}", policy.name, policy.version, r.summary);
    return r;
  }
  r.warnings = MarkInternalListeners(policy.probe, *listeners);
  r.untrusted_source = policy.probe.untrusted_source;
  for (Listener& l : *listeners) {
    ListenerResult& lr = r.listeners.emplace_back();
    lr.listener = std::move(l);
    lr.note = WhyNotProbed(policy.probe, lr.listener);
    if (!lr.note.empty()) continue;
    lr.untrusted = ProbeAllTricks(checker_, lr.listener, policy.probe, server_name_);
    lr.verdict = lr.untrusted->verdict;
  }
  r.verdict = HostVerdict(r.listeners);
  const AuthHealth auth = CheckAuthHealth(policy, *live, r);

  const IpAddress& source = policy.probe.untrusted_source;
  std::vector<std::string> found =
      ListenerFindings(r.listeners, source, ProbeVerdict::kRelayAccepted);
  bool drifted = false, unproven = false;
  for (const SettingDrift& d : r.settings) (d.unproven ? unproven : drifted) = true;
  if (drifted) found.push_back(SettingsText(r.settings, /*unproven=*/false));
  found.insert(found.end(), auth.problems.begin(), auth.problems.end());
  if (!r.changed_files.empty()) {
    std::vector<std::string> paths;
    for (const ChangedFile& f : r.changed_files) paths.push_back(f.path);
    found.push_back(absl::StrCat("changed since the last backup: ", absl::StrJoin(paths, ", ")));
  }
  std::vector<std::string> unknown =
      ListenerFindings(r.listeners, source, ProbeVerdict::kInconclusive);
  if (unproven) unknown.push_back(SettingsText(r.settings, /*unproven=*/true));
  if (r.verdict == ProbeVerdict::kInconclusive && unknown.empty()) {
    unknown.push_back("no listener other hosts can reach was probed");
  }
  found.insert(found.end(), unknown.begin(), unknown.end());
  if (auth.inconclusive) unknown.push_back("SMTP AUTH could not be checked on every listener");
  if (r.verdict == ProbeVerdict::kRelayAccepted || auth.accepts_bogus) {
    r.status = ComplianceStatus::kRelayOpen;
  } else if (auth.broken) {
    // Enforcing cannot mend a backend: the host needs a person.
    r.status = ComplianceStatus::kError;
    r.error = absl::StrJoin(auth.problems, "; ");
  } else if (drifted || auth.drifted || !r.changed_files.empty()) {
    r.status = ComplianceStatus::kDrifted;
  } else if (!unknown.empty()) {
    // Never compliant for what could not be proven.
    r.status = ComplianceStatus::kInconclusive;
  } else {
    r.status = ComplianceStatus::kCompliant;
  }
  r.summary = found.empty() ? absl::StrCat("policy holds; relay refused on every listener (",
                                           r.listeners.size(), ")")
                            : absl::StrJoin(found, "; ");
  if ((r.status == ComplianceStatus::kRelayOpen || r.status == ComplianceStatus::kDrifted) &&
      r.mode == ComplianceMode::kEnforce) {
    Enforce(policy, *live, now, gate, r);
  }
  if (r.status != ComplianceStatus::kCompliant || r.enforcement != Enforcement::kNone) {
    log->warn("compliance check of {} v{}: {}{}", policy.name, policy.version,
              ComplianceStatusName(r.status),
              r.enforcement == Enforcement::kNone
                  ? ""
                  : absl::StrCat(" (enforcement: ", EnforcementName(r.enforcement), ")"));
  }
  return r;
}

// The SMTP AUTH part of a check (policy.auth): the backend answers and accepts the smoke
// credential (the driver's preflight on the live files), and on every listener that should offer
// AUTH it is offered as the policy says, the smoke credential relays and bogus AUTH is refused.
ComplianceChecker::AuthHealth ComplianceChecker::CheckAuthHealth(
    const Policy& policy, const std::vector<FileSnapshot>& live, ComplianceResult& r) {
  AuthHealth health;
  if (!policy.auth) return health;
  const auto started = std::chrono::steady_clock::now();
  struct Took {
    std::chrono::steady_clock::time_point started;
    double& ms;
    ~Took() {
      ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
               .count();
    }
  } took{started, r.auth_check_ms};
  FileContents contents;
  for (const FileSnapshot& f : live) {
    if (f.present) contents[f.path] = f.contents;
  }
  absl::StatusOr<SmokeCredential> credential =
      PreflightAuthBackend(driver_, policy, contents, transaction_.stage_dir(), nullptr);
  if (!credential.ok()) {
    health.broken = true;
    health.problems.push_back(std::string(credential.status().message()));
    return health;
  }
  RealClock clock;
  AuthFinding finding = ProveAuth(checker_, clock, policy, *credential, clock.Now(), r.listeners);
  health.problems = std::move(finding.problems);
  health.accepts_bogus = finding.accepts_bogus;
  health.broken = finding.smoke_refused;
  health.inconclusive = finding.inconclusive;
  // What is left (AUTH offered on plaintext while tls_only, not offered where it should be) is
  // the configuration's doing: drift, which enforcing fixes.
  health.drifted = !health.problems.empty() && !health.accepts_bogus && !health.broken &&
                   !health.inconclusive;
  return health;
}

void ComplianceChecker::Enforce(const Policy& policy, const std::vector<FileSnapshot>& live,
                                int64_t now, const EnforceGate& gate, ComplianceResult& r) {
  const ComplianceSettings& c = *policy.compliance;
  if (!gate.held.empty()) {
    r.enforcement = Enforcement::kHeld;
    absl::StrAppend(&r.summary, "; not enforced: the controller halted enforcement (",
                    gate.held, ")");
    return;
  }
  if (gate.suspended) {
    r.enforcement = Enforcement::kSuspended;
    absl::StrAppend(&r.summary, "; not enforced: enforcing v", policy.version,
                    " failed here before (push a new version to retry)");
    return;
  }
  std::vector<MaintenanceWindow> windows;
  for (const std::string& text : c.maintenance_windows) {
    absl::StatusOr<MaintenanceWindow> w = MaintenanceWindow::Parse(text, c.time_zone);
    if (!w.ok()) {  // validated at load; only a changed tzdata could get here
      r.enforcement = Enforcement::kRefused;
      r.error = std::string(w.status().message());
      return;
    }
    windows.push_back(*w);
  }
  if (!InAnyWindow(windows, now)) {
    r.enforcement = Enforcement::kOutsideWindow;
    r.next_window_at = NextWindowOpening(windows, now);
    absl::StrAppend(&r.summary, "; not enforced: outside the maintenance windows (",
                    absl::StrJoin(c.maintenance_windows, ", "), ")");
    return;
  }
  TransactionReport report = transaction_.Apply(policy, /*dry_run=*/false);
  switch (report.outcome) {
    case Outcome::kApplied:
      r.enforcement = Enforcement::kApplied;
      r.status = ComplianceStatus::kCompliant;
      absl::StrAppend(&r.summary, "; enforced: backup ", report.backup_commit.substr(0, 12),
                      " -> ", report.result_commit.substr(0, 12), ", relay refused again");
      break;
    case Outcome::kUnchanged:
      r.enforcement = Enforcement::kUnchanged;
      if (!report.error.empty()) {
        absl::StrAppend(&r.summary, "; re-applying changes nothing: ", report.error);
        break;
      }
      // The relay settings hold and the relay is refused: only unrelated lines changed. Take
      // the files as the new baseline, so later checks compare with them.
      if (absl::StatusOr<std::string> id = store_.Commit(
              live, "Baseline: files changed outside relayguard, the policy still holds",
              BaselineRecord(policy).ToTrailers());
          id.ok()) {
        report.result_commit = *id;
        r.status = ComplianceStatus::kCompliant;
        absl::StrAppend(&r.summary, "; the policy still holds, new baseline ",
                        id->substr(0, 12));
      } else {
        r.error = absl::StrCat("cannot commit the new baseline: ", id.status().message());
      }
      break;
    case Outcome::kRolledBack:
      r.enforcement = Enforcement::kRolledBack;
      absl::StrAppend(&r.summary, "; enforcing failed in ", report.failed_phase,
                      " and was rolled back: ", report.error);
      break;
    case Outcome::kRollbackFailed:
      r.enforcement = Enforcement::kRollbackFailed;
      r.status = ComplianceStatus::kError;
      absl::StrAppend(&r.summary, "; enforcing failed and restoring failed too (the host needs "
                      "attention): ", report.error);
      break;
    default:
      r.enforcement = Enforcement::kRefused;
      absl::StrAppend(&r.summary, "; enforcing was refused in ", report.failed_phase, ": ",
                      report.error);
      break;
  }
  r.enforce_report = std::move(report);
}

}  // namespace relayguard::agent
