#include "controller/compliance/compliance_tracker.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "controller/compliance/failure_budget.h"

namespace relayguard::controller {
namespace {

std::string Short(const std::string& commit) { return commit.substr(0, 10); }

// "rolled-back (backup 1a2b3c4d5e -> result 9f8e7d6c5b)": what the audit log says of it.
std::string EnforcementResult(const ComplianceCheckRecord& check,
                              const EnforcementCommits& commits) {
  std::string out = EnforcementName(check.enforcement);
  if (!commits.backup_commit.empty() || !commits.result_commit.empty()) {
    absl::StrAppend(&out, " (backup ", commits.backup_commit.empty() ? "-" : Short(commits.backup_commit),
                    " -> result ", commits.result_commit.empty() ? "-" : Short(commits.result_commit),
                    ")");
  }
  if (!check.error.empty()) absl::StrAppend(&out, ": ", check.error);
  return out;
}

}  // namespace

void ComplianceTracker::Audit(Store& store, const std::string& who, const std::string& action,
                              const std::string& target, const std::string& result) {
  // Automatic enforcement: no operator, so no reason.
  StoreFacade::RecordAudit(store,
                           AuditEntry{0, clock_.WallSeconds(), who, action, target, result, ""});
}

absl::StatusOr<std::optional<EnforceHoldRecord>> ComplianceTracker::CheckBudget(
    Store& store, const ComplianceCheckRecord& check) {
  auto log = Logger("controller.compliance");
  ASSIGN_OR_RETURN(std::vector<std::string> failed,
                   store.EnforceFailedHosts(check.policy, check.version));
  ASSIGN_OR_RETURN(std::optional<PolicyVersionRecord> playbook,
                   store.PolicyVersion(check.policy, check.version));
  int budget = 0;
  if (playbook.has_value()) {
    budget = FailureBudgetOfPlaybook(playbook->yaml,
                                     absl::StrCat(check.policy, " v", check.version));
  } else {
    log->warn("{} reports {} v{}, which is not in the store: its failure budget counts as 0",
              check.host, check.policy, check.version);
  }
  std::optional<std::string> reason =
      EnforceHoldReason(check.policy, check.version, budget, failed);
  if (!reason) return std::nullopt;
  EnforceHoldRecord hold{check.policy, check.version, *reason, clock_.WallSeconds()};
  ASSIGN_OR_RETURN(bool put, store.PutEnforceHold(hold));
  if (!put) return std::nullopt;  // held already: every agent was told then
  Audit(store, "controller", "enforce hold", absl::StrCat(check.policy, " v", check.version),
        *reason);
  return hold;
}

absl::StatusOr<bool> ComplianceTracker::Record(ComplianceCheckRecord check,
                                               const EnforcementCommits& commits) {
  auto log = Logger("controller.compliance");
  check.received_at = clock_.WallSeconds();
  struct Outcome {
    bool added = false;
    std::optional<EnforceHoldRecord> hold;
  };
  absl::StatusOr<Outcome> outcome = store_.WithStore([&](Store& store) -> absl::StatusOr<Outcome> {
    Outcome o;
    ASSIGN_OR_RETURN(o.added, store.AddComplianceCheck(check));
    if (!o.added) return o;
    const std::string target = absl::StrCat(check.policy, " v", check.version);
    if (EnforcementRan(check.enforcement)) {
      Audit(store, absl::StrCat("agent:", check.host), "enforce", target,
            EnforcementResult(check, commits));
    }
    if (EnforcementFailed(check.enforcement)) {
      // The check is stored either way; a failed count is redone at the next failure.
      absl::StatusOr<std::optional<EnforceHoldRecord>> hold = CheckBudget(store, check);
      if (hold.ok()) {
        o.hold = *hold;
      } else {
        log->error("cannot check the failure budget of {}: {}", target, hold.status().message());
      }
    }
    return o;
  });
  if (!outcome.ok()) return outcome.status();
  if (outcome->added) {
    store_.Changed(ChangeTopic::kCompliance);
    store_.Changed(ChangeTopic::kAudit);  // enforcement and holds are audited
  }
  if (!outcome->added) {
    log->debug("{}: compliance check {} again (a re-send), stored already", check.host, check.seq);
    return false;
  }
  if (check.status == ComplianceStatus::kCompliant) {
    log->debug("{}: compliant with {} v{} (check {})", check.host, check.policy, check.version,
               check.seq);
  } else {
    log->warn("{}: {} against {} v{} (check {}): {}", check.host,
              ComplianceStatusName(check.status), check.policy, check.version, check.seq,
              check.summary.empty() ? check.error : check.summary);
  }
  if (EnforcementFailed(check.enforcement)) {
    log->error("{}: enforcing {} v{} failed: {}", check.host, check.policy, check.version,
               EnforcementResult(check, commits));
  } else if (check.enforcement == Enforcement::kApplied) {
    log->info("{}: enforced {} v{}: {}", check.host, check.policy, check.version,
              EnforcementResult(check, commits));
  }
  if (outcome->hold) {
    const EnforceHoldRecord& hold = *outcome->hold;
    log->warn("enforcement of {} v{} halted fleet-wide: {}", hold.policy, hold.version,
              hold.reason);
    const EnforceHoldCommand c{hold.policy, hold.version, hold.reason};
    for (const std::string& host : registry_.OnlineHosts()) {
      if (!registry_.Send(host, c)) log->warn("{} went away before the enforce hold", host);
    }
  }
  return true;
}

std::optional<EnforceHoldRecord> ComplianceTracker::HoldOn(const std::string& policy,
                                                           uint64_t version) {
  if (policy.empty()) return std::nullopt;
  absl::StatusOr<std::optional<EnforceHoldRecord>> hold = store_.WithStore(
      [&](Store& store) { return store.EnforceHold(policy, version); });
  if (!hold.ok()) {
    Logger("controller.compliance")->error("cannot read the enforce hold of {} v{}: {}", policy,
                                           version, hold.status().message());
    return std::nullopt;
  }
  return *hold;
}

absl::StatusOr<ComplianceView> ComplianceTracker::View(const ComplianceQuery& query) {
  return store_.WithStore([&](Store& store) -> absl::StatusOr<ComplianceView> {
    ASSIGN_OR_RETURN(std::vector<HostRecord> hosts, store.Hosts());
    ASSIGN_OR_RETURN(std::vector<ComplianceCheckRecord> latest, store.LatestCompliance());
    ASSIGN_OR_RETURN(std::vector<EnforceHoldRecord> holds, store.EnforceHolds());
    ComplianceView view;
    view.holds = HoldsInForce(holds, hosts);
    if (!query.host.empty()) {
      std::vector<HostRecord> one;
      for (const HostRecord& h : hosts) {
        if (h.name == query.host) one.push_back(h);
      }
      if (one.empty()) {
        return absl::NotFoundError(
            absl::StrCat("unknown host \"", query.host, "\" (it has never connected)"));
      }
      hosts = std::move(one);
    }
    std::map<std::string, HostPresence> presence;
    for (const HostRecord& h : hosts) {
      const int64_t heard = registry_.LastHeard(h.name);
      if (heard != 0 || registry_.Online(h.name)) presence[h.name] = HostPresence{true, heard};
    }
    view.fleet = SummarizeCompliance(hosts, latest, presence);
    if (query.history) {
      ASSIGN_OR_RETURN(view.history, store.ComplianceHistory(query.host, query.limit));
    }
    return view;
  });
}

}  // namespace relayguard::controller
