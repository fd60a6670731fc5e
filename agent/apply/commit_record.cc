#include "agent/apply/commit_record.h"

#include <array>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace relayguard::agent {
namespace {

// The stored spelling of each value: these strings are in every backup repository, so they never
// change even when the names elsewhere do.
constexpr std::array<std::pair<CommitAction, const char*>, 4> kActions = {{
    {CommitAction::kApply, "apply"},
    {CommitAction::kRollback, "rollback"},
    {CommitAction::kRecovery, "recovery"},
    {CommitAction::kBaseline, "baseline"},
}};
constexpr std::array<std::pair<CommitPhase, const char*>, 3> kPhases = {{
    {CommitPhase::kBefore, "before"},
    {CommitPhase::kAfter, "after"},
    {CommitPhase::kRolledBack, "rolled-back"},
}};
constexpr std::array<std::pair<CommitOutcome, const char*>, 5> kOutcomes = {{
    {CommitOutcome::kApplied, "applied"},
    {CommitOutcome::kRolledBack, "rolled-back"},
    {CommitOutcome::kRollbackFailed, "rollback-failed"},
    {CommitOutcome::kRestored, "restored"},
    {CommitOutcome::kRecoveryFailed, "recovery-failed"},
}};

template <typename E, size_t N>
const char* NameIn(const std::array<std::pair<E, const char*>, N>& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "unknown";
}

template <typename E, size_t N>
std::optional<E> ParseIn(const std::array<std::pair<E, const char*>, N>& table,
                         absl::string_view name) {
  for (const auto& [v, n] : table) {
    if (name == n) return v;
  }
  return std::nullopt;
}

template <typename E, size_t N>
std::string NamesOf(const std::array<std::pair<E, const char*>, N>& table) {
  return absl::StrJoin(table, ", ", [](std::string* out, const auto& entry) {
    absl::StrAppend(out, entry.second);
  });
}

bool HasPhase(CommitAction action) {
  return action == CommitAction::kApply || action == CommitAction::kRollback;
}


// Reads the trailers of one commit, naming the commit and the key in every error.
class TrailerReader {
 public:
  TrailerReader(absl::string_view commit_id, const std::map<std::string, std::string>& trailers)
      : commit_(commit_id.substr(0, 10)), trailers_(trailers) {}

  absl::StatusOr<std::string> Get(const std::string& key) const {
    auto it = trailers_.find(key);
    if (it == trailers_.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "backup commit ", commit_, " has no Relayguard-", key,
          " trailer; a commit not made by relayguard cannot be read as one of its records"));
    }
    return it->second;
  }

  template <typename E, size_t N>
  absl::StatusOr<E> GetEnum(const std::string& key,
                            const std::array<std::pair<E, const char*>, N>& table) const {
    absl::StatusOr<std::string> text = Get(key);
    if (!text.ok()) return text.status();
    std::optional<E> value = ParseIn(table, *text);
    if (!value) return Bad(key, *text, absl::StrCat("one of ", NamesOf(table)));
    return *value;
  }

  absl::StatusOr<uint64_t> GetNumber(const std::string& key) const {
    absl::StatusOr<std::string> text = Get(key);
    if (!text.ok()) return text.status();
    uint64_t n = 0;
    if (!absl::SimpleAtoi(*text, &n)) return Bad(key, *text, "a number");
    return n;
  }

 private:
  absl::Status Bad(const std::string& key, const std::string& value,
                   absl::string_view wanted) const {
    return absl::InvalidArgumentError(absl::StrCat("backup commit ", commit_, ": Relayguard-", key,
                                                   " is \"", value, "\", not ", wanted));
  }

  std::string commit_;
  const std::map<std::string, std::string>& trailers_;
};

}  // namespace

const char* CommitActionName(CommitAction action) { return NameIn(kActions, action); }
std::optional<CommitAction> ParseCommitAction(absl::string_view name) {
  return ParseIn(kActions, name);
}
const char* CommitPhaseName(CommitPhase phase) { return NameIn(kPhases, phase); }
std::optional<CommitPhase> ParseCommitPhase(absl::string_view name) {
  return ParseIn(kPhases, name);
}
const char* CommitOutcomeName(CommitOutcome outcome) { return NameIn(kOutcomes, outcome); }
std::optional<CommitOutcome> ParseCommitOutcome(absl::string_view name) {
  return ParseIn(kOutcomes, name);
}

bool CommitRecord::HasOutcome() const {
  return action == CommitAction::kRecovery || (HasPhase(action) && phase != CommitPhase::kBefore);
}

std::map<std::string, std::string> CommitRecord::ToTrailers() const {
  std::map<std::string, std::string> t = {{"Action", CommitActionName(action)}};
  switch (action) {
    case CommitAction::kApply:
      t["Mta"] = mta;
      [[fallthrough]];
    case CommitAction::kBaseline:
      t["Policy"] = policy;
      t["Version"] = absl::StrCat(version);
      break;
    case CommitAction::kRollback:
      t["Target"] = target;
      break;
    case CommitAction::kRecovery:
      t["Policy"] = policy;
      t["InterruptedAction"] = interrupted_action;
      t["InterruptedPhase"] = interrupted_phase;
      break;
  }
  if (HasPhase(action)) t["Phase"] = CommitPhaseName(phase);
  if (HasOutcome()) {
    t["Backup"] = backup;
    t["Outcome"] = CommitOutcomeName(outcome);
  }
  if (action == CommitAction::kApply && phase == CommitPhase::kAfter) t["Settings"] = settings;
  if (HasPhase(action) && phase == CommitPhase::kRolledBack) {
    t["FailedPhase"] = failed_phase;
    t["Reason"] = reason;
  }
  return t;
}

absl::StatusOr<CommitRecord> CommitRecord::FromTrailers(
    absl::string_view commit_id, const std::map<std::string, std::string>& trailers) {
  const TrailerReader in(commit_id, trailers);
  CommitRecord r;
  ASSIGN_OR_RETURN(r.action, in.GetEnum("Action", kActions));
  switch (r.action) {
    case CommitAction::kApply: {
      ASSIGN_OR_RETURN(r.mta, in.Get("Mta"));
    }
      [[fallthrough]];
    case CommitAction::kBaseline: {
      ASSIGN_OR_RETURN(r.policy, in.Get("Policy"));
      ASSIGN_OR_RETURN(r.version, in.GetNumber("Version"));
      break;
    }
    case CommitAction::kRollback: {
      ASSIGN_OR_RETURN(r.target, in.Get("Target"));
      break;
    }
    case CommitAction::kRecovery: {
      ASSIGN_OR_RETURN(r.policy, in.Get("Policy"));
      ASSIGN_OR_RETURN(r.interrupted_action, in.Get("InterruptedAction"));
      ASSIGN_OR_RETURN(r.interrupted_phase, in.Get("InterruptedPhase"));
      break;
    }
  }
  if (HasPhase(r.action)) {
    ASSIGN_OR_RETURN(r.phase, in.GetEnum("Phase", kPhases));
  }
  if (r.HasOutcome()) {
    ASSIGN_OR_RETURN(r.backup, in.Get("Backup"));
    ASSIGN_OR_RETURN(r.outcome, in.GetEnum("Outcome", kOutcomes));
  }
  if (r.action == CommitAction::kApply && r.phase == CommitPhase::kAfter) {
    // Written with an empty value when no setting changed, and a trailing empty value does not
    // survive the commit message's whitespace trimming: absent means none.
    auto settings = trailers.find("Settings");
    if (settings != trailers.end()) r.settings = settings->second;
  }
  if (HasPhase(r.action) && r.phase == CommitPhase::kRolledBack) {
    ASSIGN_OR_RETURN(r.failed_phase, in.Get("FailedPhase"));
    ASSIGN_OR_RETURN(r.reason, in.Get("Reason"));
  }
  return r;
}

}  // namespace relayguard::agent
