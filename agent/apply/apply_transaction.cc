#include "agent/apply/apply_transaction.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "agent/apply/auth_proof.h"
#include "agent/apply/phase_timer.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace relayguard::agent {
namespace {

constexpr std::chrono::milliseconds kPollInterval{200};
constexpr int kStableRefusals = 3;

// Why a probe did not come out as wanted: the first test whose verdict differs, with its replies.
std::string ProbeDetail(const ProbeReport& report, ProbeVerdict wanted) {
  for (const RelayTestResult& test : report.tests) {
    if (test.verdict == wanted) continue;
    std::string last = test.exchanges.empty()
                           ? ""
                           : absl::StrCat(" (last: ", test.exchanges.back().command, " -> ",
                                          OneLine(test.exchanges.back().reply), ")");
    return absl::StrCat(test.test.name, ": ", ProbeVerdictName(test.verdict), ", ", test.detail,
                        last);
  }
  return "no test ran";
}

// `s` with the promise that nothing was changed yet (OK stays OK).
absl::Status NothingChanged(const absl::Status& s) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(s.message(), " — nothing was changed"));
}

}  // namespace

void AddWarning(TransactionReport& report, std::string warning) {
  if (std::find(report.warnings.begin(), report.warnings.end(), warning) == report.warnings.end()) {
    report.warnings.push_back(std::move(warning));
  }
}

std::string OneLine(const std::string& text) {
  return absl::StrReplaceAll(text, {{"\r", " "}, {"\n", "; "}});
}

std::string DiffFiles(const std::vector<FileSnapshot>& before, const FileContents& after) {
  std::map<std::string, std::string> old_text;
  for (const FileSnapshot& f : before) old_text[f.path] = f.present ? f.contents : "";
  std::string diff;
  for (const auto& [path, text] : after) {
    absl::StrAppend(&diff, UnifiedDiff(path, old_text[path], text));
  }
  return diff;
}

void ApplyTransaction::Fail(TransactionReport& report, absl::string_view phase,
                            const absl::Status& status) {
  report.failed_phase = std::string(phase);
  report.error = std::string(status.message());
  Logger("agent.apply")->info("{} failed in phase {}: {}", report.action, phase, report.error);
}

absl::StatusOr<std::vector<FileSnapshot>> ApplyTransaction::ReadManagedFiles() {
  return ReadLiveFiles(d_.driver, d_.fs);
}

absl::StatusOr<std::vector<FileSnapshot>> ReadLiveFiles(MtaDriver& driver, FileSystem& fs) {
  std::vector<FileSnapshot> files;
  for (const std::string& path : driver.ManagedFiles()) {
    FileSnapshot snap;
    snap.path = path;
    absl::StatusOr<FileInfo> info = fs.Stat(path);
    if (absl::IsNotFound(info.status())) {
      return absl::NotFoundError(
          absl::StrCat(driver.Kind(), " config file ", path, " does not exist"));
    }
    if (!info.ok()) return info.status();
    if (!info->is_regular) {
      return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));
    }
    snap.info = *info;
    ASSIGN_OR_RETURN(snap.contents, fs.ReadFile(path));
    files.push_back(std::move(snap));
  }
  // Files the driver may create (Sendmail.conf): absent now, created when Render gives them
  // contents, removed again by a rollback to this state. Readable by all, owned by root, as the
  // packages ship such files.
  for (const std::string& path : driver.CreatableFiles()) {
    FileSnapshot snap;
    snap.path = path;
    snap.present = false;
    snap.info.mode = 0644;
    snap.info.uid = 0;
    snap.info.gid = 0;
    snap.info.is_regular = true;
    files.push_back(std::move(snap));
  }
  return files;
}

absl::Status ApplyTransaction::Preflight(TransactionReport& report) {
  report.mta = d_.driver.Kind();
  ASSIGN_OR_RETURN(report.mta_version, d_.driver.Version());
  std::set<std::string> dirs;
  for (const std::string& path : d_.driver.ManagedFiles()) {
    dirs.insert(path.substr(0, path.rfind('/')));
  }
  for (const std::string& dir : dirs) RETURN_IF_ERROR(d_.fs.CheckWritableDir(dir));
  ASSIGN_OR_RETURN(std::vector<Listener> listeners, d_.driver.Listeners());
  roles_before_.clear();
  for (const Listener& l : listeners) roles_before_[l.endpoint.ToString()] = l.role;
  report.listeners = Unprobed(std::move(listeners));
  return absl::OkStatus();
}

absl::Status ApplyTransaction::CheckListenersAnswer(const ProbeSettings& probe,
                                                    TransactionReport& report) {
  std::vector<Listener> listeners;
  for (const ListenerResult& r : report.listeners) listeners.push_back(r.listener);
  for (std::string& w : MarkInternalListeners(probe, listeners)) AddWarning(report, std::move(w));
  for (size_t i = 0; i < listeners.size(); ++i) {
    report.listeners[i].listener = listeners[i];
    if (listeners[i].internal) continue;
    if (std::string missing = MissingProbeSource(probe, ProbeSource::kUntrusted, listeners[i]);
        !missing.empty()) {
      return absl::FailedPreconditionError(missing);
    }
    absl::Status s = d_.checker.Greeting(
        listeners[i].endpoint, ListenerProbeOptions(probe, ProbeSource::kUntrusted, listeners[i]));
    if (!s.ok()) {
      return absl::UnavailableError(
          absl::StrCat("listener ", listeners[i].Name(), " does not answer the probe from ",
                       probe.untrusted_source.ToString(), " (", s.message(),
                       "): relayguard could not prove it closed after the change"));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyTransaction::WriteFiles(const std::vector<FileSnapshot>& files,
                                          absl::string_view step) {
  int written = 0;
  for (const FileSnapshot& f : files) {
    if (!f.present) {
      // Removing a file that is already absent changes nothing (RemoveFile is OK then).
      const bool existed = d_.fs.Stat(f.path).ok();
      RETURN_IF_ERROR(d_.fs.RemoveFile(f.path));
      if (existed) d_.faults.Reached(absl::StrCat(step, "after-write:", ++written));
      continue;
    }
    absl::StatusOr<std::string> now = d_.fs.ReadFile(f.path);
    absl::StatusOr<FileInfo> info = d_.fs.Stat(f.path);
    if (now.ok() && info.ok() && *now == f.contents && info->mode == f.info.mode &&
        info->uid == f.info.uid && info->gid == f.info.gid) {
      continue;
    }
    FileInfo wanted = f.info;
    wanted.write_age_s = d_.driver.WriteAgeSeconds(f.path);
    if (!now.ok()) {  // a file being created: its directory may be missing too (/etc/sasl2)
      RETURN_IF_ERROR(d_.fs.MakeDirs(f.path.substr(0, f.path.rfind('/'))));
    }
    RETURN_IF_ERROR(d_.fs.WriteFileAtomic(f.path, f.contents, wanted));
    d_.faults.Reached(absl::StrCat(step, "after-write:", ++written));
  }
  d_.faults.Reached(absl::StrCat(step, "after-activate"));
  return absl::OkStatus();
}

absl::Status ApplyTransaction::PollUntilRefused(const ProbeSettings& probe,
                                                std::chrono::steady_clock::time_point deadline,
                                                ListenerResult& r) {
  const std::vector<RelayTest> tests = BasicRelayTests(probe.sender, probe.foreign_recipient);
  const ProbeOptions options = ListenerProbeOptions(probe, ProbeSource::kUntrusted, r.listener);
  if (std::string missing = MissingProbeSource(probe, ProbeSource::kUntrusted, r.listener);
      !missing.empty()) {
    r.note = missing;
    return absl::FailedPreconditionError(missing);
  }
  // Right after a reload, smtpd processes of the old configuration may still take a
  // connection or two, so poll until the refusal is stable (several probes in a row, each on a
  // new connection) or the settle time is over.
  int refused_in_a_row = 0;
  for (;;) {
    r.untrusted = d_.checker.Probe(r.listener.endpoint, tests, options);
    r.verdict = r.untrusted->verdict;
    if (r.verdict == ProbeVerdict::kRefused) {
      if (++refused_in_a_row >= kStableRefusals) return absl::OkStatus();
      continue;
    }
    refused_in_a_row = 0;
    if (d_.clock.Now() >= deadline) {
      return absl::FailedPreconditionError(absl::StrCat(
          "relaying from untrusted ", probe.untrusted_source.ToString(), " to listener ",
          r.listener.Name(), " is still not refused after ", probe.settle_timeout.count(),
          " ms: ", ProbeDetail(*r.untrusted, ProbeVerdict::kRefused)));
    }
    d_.clock.SleepFor(kPollInterval);
  }
}

absl::Status ApplyTransaction::PollUntilTrustedRelays(
    const ProbeSettings& probe, std::chrono::steady_clock::time_point deadline, ListenerResult& r) {
  const std::vector<RelayTest> tests = BasicRelayTests(probe.sender, probe.foreign_recipient);
  const ProbeOptions options = ListenerProbeOptions(probe, ProbeSource::kTrusted, r.listener);
  for (;;) {
    r.trusted = d_.checker.Probe(r.listener.endpoint, tests, options);
    if (r.trusted->verdict == ProbeVerdict::kRelayAccepted) return absl::OkStatus();
    if (r.trusted->verdict == ProbeVerdict::kRefused || d_.clock.Now() >= deadline) {
      return absl::FailedPreconditionError(
          absl::StrCat("smoke test: trusted ", probe.trusted_source.ToString(),
                       " can no longer relay through listener ", r.listener.Name(),
                       ", the policy would block legitimate mail: ",
                       ProbeDetail(*r.trusted, ProbeVerdict::kRelayAccepted)));
    }
    d_.clock.SleepFor(kPollInterval);
  }
}

absl::Status ApplyTransaction::VerifyClosed(const Policy& policy, TransactionReport& report,
                                            bool in_flight) {
  ASSIGN_OR_RETURN(std::vector<Listener> listeners, d_.driver.Listeners());
  for (Listener& l : listeners) {
    auto before = roles_before_.find(l.endpoint.ToString());
    if (before != roles_before_.end()) l.role = before->second;
  }
  for (std::string& w : MarkInternalListeners(policy.probe, listeners)) {
    AddWarning(report, std::move(w));
  }
  report.listeners = Unprobed(std::move(listeners));
  const auto deadline = d_.clock.Now() + policy.probe.settle_timeout;
  // Every door must be shut: a host relays if any listener other hosts can reach relays.
  for (ListenerResult& r : report.listeners) {
    if (r.listener.internal) {
      r.note = WhyNotProbed(policy.probe, r.listener);
      continue;
    }
    RETURN_IF_ERROR(PollUntilRefused(policy.probe, deadline, r));
    if (in_flight) {
      d_.faults.Reached("during-verify");  // once: the first listener probed is refused
      in_flight = false;
    }
  }
  if (!policy.require_auth) {
    // The listeners trusted clients relay through must still take their mail.
    bool smoke_tested = false;
    for (ListenerResult& r : report.listeners) {
      if (r.listener.internal || r.listener.role != ListenerRole::kRelay) continue;
      RETURN_IF_ERROR(PollUntilTrustedRelays(policy.probe, deadline, r));
      smoke_tested = true;
    }
    if (!smoke_tested) {
      AddWarning(report,
                 "no listener is a relay listener for the trusted networks (all are "
                 "submission or internal): the smoke test from the trusted source did "
                 "not run");
    }
  }
  if (policy.auth) {
    if (!credential_) {
      return absl::FailedPreconditionError(
          "SMTP AUTH cannot be verified: the smoke credential was not read");
    }
    AuthFinding auth =
        ProveAuth(d_.checker, d_.clock, policy, *credential_, deadline, report.listeners);
    if (!auth.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("SMTP AUTH does not work as the policy says: ",
                       absl::StrJoin(auth.problems, "; ")));
    }
  }
  ASSIGN_OR_RETURN(std::vector<SettingDrift> drift, d_.driver.CheckDrift(policy));
  if (!drift.empty()) {
    std::vector<std::string> parts;
    for (const SettingDrift& s : drift) parts.push_back(DriftText(s));
    return absl::FailedPreconditionError(absl::StrCat(
        "effective settings differ from the policy after reload: ", absl::StrJoin(parts, "; ")));
  }
  return absl::OkStatus();
}

TransactionReport ApplyTransaction::Apply(const Policy& policy, bool dry_run) {
  TransactionReport report;
  report.action = "apply";
  report.policy = policy.name;
  report.version = policy.version;
  absl::StatusOr<std::vector<FileSnapshot>> before = PreflightApply(policy, dry_run, report);
  if (!before.ok()) {
    Fail(report, "preflight", before.status());
    return report;
  }
  absl::StatusOr<RenderedChange> change = RenderChange(policy, *before, report);
  if (!change.ok()) {
    Fail(report, "render", change.status());
    return report;
  }
  credential_.reset();
  if (policy.auth && !dry_run) {
    if (absl::Status s = PreflightAuth(policy, *change, report); !s.ok()) {
      Fail(report, "auth-preflight", NothingChanged(s));
      return report;
    }
  }
  if (report.diff.empty()) {
    report.outcome = Outcome::kUnchanged;
    if (!dry_run) VerifyUnchanged(policy, report);
    return report;
  }
  if (dry_run) {
    report.outcome = Outcome::kDryRun;
    return report;
  }
  ApplyChange(policy, *before, *change, report);
  return report;
}

void ApplyTransaction::ApplyChange(const Policy& policy, const std::vector<FileSnapshot>& before,
                                   const RenderedChange& change, TransactionReport& report) {
  {
    PhaseTimer timer(d_.clock, report, "validate");
    if (absl::Status s = d_.driver.ValidateStaged(change.new_contents, d_.stage_dir); !s.ok()) {
      return Fail(report, "validate", NothingChanged(s));
    }
  }
  CommitRecord record;
  record.action = CommitAction::kApply;
  record.policy = policy.name;
  record.version = policy.version;
  record.mta = absl::StrCat(report.mta, " ", report.mta_version);
  const JournalEntry journal{"apply", "", "", policy.name, policy.version,
                             change.needs_restart, 0, 0};
  const std::string summary =
      absl::StrCat("Backup before applying policy ", policy.name, " v", policy.version);
  if (absl::Status s = BackUp(before, summary, record, journal, report); !s.ok()) {
    return Fail(report, "backup", NothingChanged(s));
  }
  d_.faults.Reached("after-backup");
  record.backup = report.backup_commit;
  if (!GoLive(policy, before, change, record, report)) return;
  {
    PhaseTimer timer(d_.clock, report, "commit");
    record.phase = CommitPhase::kAfter;
    record.outcome = CommitOutcome::kApplied;
    record.settings = absl::StrJoin(change.changed_settings, " ");
    RecordResult(record,
                 absl::StrCat("Applied policy ", policy.name, " v", policy.version, ": ",
                              absl::StrJoin(change.changed_settings, ", ")),
                 /*clear_journal=*/true, report);
  }
  report.outcome = Outcome::kApplied;
  Logger("agent.apply")->info("policy {} v{} applied and verified on {} listener(s)", policy.name,
                              policy.version, report.listeners.size());
}

absl::StatusOr<std::vector<FileSnapshot>> ApplyTransaction::PreflightApply(
    const Policy& policy, bool dry_run, TransactionReport& report) {
  std::vector<FileSnapshot> before;
  {
    PhaseTimer timer(d_.clock, report, "preflight");
    RETURN_IF_ERROR(Preflight(report));
    ASSIGN_OR_RETURN(before, ReadManagedFiles());
    if (dry_run) return before;
    ASSIGN_OR_RETURN(bool running, d_.driver.IsRunning());
    if (!running) {
      return absl::FailedPreconditionError(absl::StrCat(
          report.mta, " is not running for this configuration; start it first (every change is "
          "verified on the running service) — nothing was changed"));
    }
  }
  // Every listener must answer before the change, or it could not be proven closed after it.
  // Its own phase: SMTP round trips, like the verify probes, not relayguard's own work.
  PhaseTimer timer(d_.clock, report, "reach");
  RETURN_IF_ERROR(NothingChanged(CheckListenersAnswer(policy.probe, report)));
  return before;
}

absl::StatusOr<RenderedChange> ApplyTransaction::RenderChange(
    const Policy& policy, const std::vector<FileSnapshot>& before, TransactionReport& report) {
  FileContents current;
  for (const FileSnapshot& f : before) {
    if (f.present) current[f.path] = f.contents;
  }
  absl::StatusOr<RenderedChange> change;
  {
    PhaseTimer timer(d_.clock, report, "render");
    change = d_.driver.Render(policy, current);
  }
  if (!change.ok()) return change.status();
  report.changed_settings = change->changed_settings;
  for (const std::string& w : change->warnings) AddWarning(report, w);
  report.kept = change->kept;
  report.diff = DiffFiles(before, change->new_contents);
  return change;
}

absl::Status ApplyTransaction::PreflightAuth(const Policy& policy, const RenderedChange& change,
                                             TransactionReport& report) {
  PhaseTimer timer(d_.clock, report, "auth-preflight");
  BackendAnswer answer;
  ASSIGN_OR_RETURN(credential_, PreflightAuthBackend(d_.driver, policy, change.new_contents,
                                                     d_.stage_dir, &answer));
  report.auth_backend = answer.summary;
  Logger("agent.apply")->info("SMTP AUTH backend answers: {}", answer.summary);
  return absl::OkStatus();
}

void ApplyTransaction::VerifyUnchanged(const Policy& policy, TransactionReport& report) {
  // Nothing to write or reload; still say whether the relay is closed right now.
  PhaseTimer timer(d_.clock, report, "verify");
  Policy once = policy;
  once.probe.settle_timeout = std::chrono::milliseconds(0);
  if (absl::Status s = VerifyClosed(once, report, /*in_flight=*/false); !s.ok()) {
    report.error = absl::StrCat("the policy's settings are in place, but: ", s.message());
  }
}

bool ApplyTransaction::GoLive(const Policy& policy, const std::vector<FileSnapshot>& before,
                              const RenderedChange& change, const CommitRecord& record,
                              TransactionReport& report) {
  const JournalEntry journal{"apply", "", report.backup_commit, policy.name, policy.version,
                             change.needs_restart, 0, 0};
  auto restore = [&](absl::string_view phase, const absl::Status& s) {
    Fail(report, phase, s);
    RestoreAfterFailure(before, change.needs_restart, policy.probe, record, report);
    return false;
  };
  {
    PhaseTimer timer(d_.clock, report, "activate");
    std::vector<FileSnapshot> next = before;
    for (FileSnapshot& f : next) {
      auto it = change.new_contents.find(f.path);
      if (it == change.new_contents.end()) continue;  // a creatable file Render left absent
      f.contents = it->second;
      f.present = true;
    }
    if (absl::Status s = WriteFiles(next, kFaultStepChange); !s.ok()) {
      return restore("activate", s);
    }
  }
  Logger("agent.apply")->info("activated policy {} v{} ({})", policy.name, policy.version,
                              absl::StrJoin(change.changed_settings, ", "));
  const char* reload = change.needs_restart ? "restart" : "reload";
  {
    PhaseTimer timer(d_.clock, report, reload);
    absl::Status s = WriteJournal(journal, "reload");
    if (s.ok()) s = d_.driver.Reload(change.needs_restart);
    if (!s.ok()) return restore(reload, s);
    report.reloaded = true;
    report.restarted = change.needs_restart;
  }
  d_.faults.Reached("after-reload");
  PhaseTimer timer(d_.clock, report, "verify");
  absl::Status s = WriteJournal(journal, "verify");
  if (s.ok()) s = VerifyClosed(policy, report, /*in_flight=*/true);
  if (!s.ok()) return restore("verify", s);
  return true;
}

}  // namespace relayguard::agent
