#include "controller/rollout/rollout_targets.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace relayguard::controller {
namespace {

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

bool MatchesTargets(const HostRecord& host, const std::vector<std::string>& hosts,
                    const std::map<std::string, std::string>& labels) {
  if (Contains(hosts, host.name)) return true;
  if (labels.empty()) return false;
  for (const auto& [k, v] : labels) {
    auto it = host.labels.find(k);
    if (it == host.labels.end() || it->second != v) return false;
  }
  return true;
}

absl::StatusOr<std::vector<std::string>> ResolveTargets(
    const std::vector<HostRecord>& known, const std::vector<std::string>& hosts,
    const std::map<std::string, std::string>& labels) {
  std::vector<std::string> targets;
  for (const HostRecord& h : known) {
    if (MatchesTargets(h, hosts, labels)) targets.push_back(h.name);
  }
  for (const std::string& name : hosts) {
    if (!Contains(targets, name)) {
      return absl::NotFoundError(
          absl::StrCat("unknown host \"", name, "\" (it has never connected)"));
    }
  }
  return targets;
}

absl::StatusOr<std::vector<std::string>> ResolveRollbackTargets(
    const std::vector<HostRecord>& known, const RollbackTargets& targets,
    const std::optional<RolloutRecord>& rollout) {
  if (!targets.to_commit.empty()) {
    const std::string& c = targets.to_commit;
    const auto hex = [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)) != 0; };
    if (c.size() < 7 || c.size() > 64 || !std::all_of(c.begin(), c.end(), hex)) {
      return absl::InvalidArgumentError(
          absl::StrCat("to_commit \"", absl::CHexEscape(c.substr(0, 80)),
                       "\" is not a commit id (7 to 64 hex digits)"));
    }
    if (targets.hosts.size() != 1 || !targets.labels.empty() || !targets.rollout_id.empty()) {
      return absl::InvalidArgumentError(
          "a rollback to a given commit names exactly one host, and no labels or rollout");
    }
  }
  for (const std::string& name : targets.hosts) {
    if (std::none_of(known.begin(), known.end(),
                     [&](const HostRecord& h) { return h.name == name; })) {
      return absl::NotFoundError(absl::StrCat("unknown host \"", name, "\""));
    }
  }
  const bool narrowed = !targets.hosts.empty() || !targets.labels.empty();
  std::vector<std::string> chosen;
  if (!targets.rollout_id.empty()) {
    if (!rollout.has_value()) {
      return absl::NotFoundError(absl::StrCat("no rollout \"", targets.rollout_id, "\""));
    }
    // A rollout still going would push its later waves (or a resume would) over the rollback.
    if (rollout->state.status == RolloutStatus::kRunning ||
        rollout->state.status == RolloutStatus::kPaused) {
      return absl::FailedPreconditionError(absl::StrCat(
          "rollout ", targets.rollout_id, " is ", RolloutStatusName(rollout->state.status),
          ": abort it first, then roll it back (nothing was sent)"));
    }
    const std::vector<std::string>& in_rollout = rollout->spec.hosts;
    for (const std::string& name : targets.hosts) {
      if (!Contains(in_rollout, name)) {
        return absl::NotFoundError(
            absl::StrCat("host \"", name, "\" is not a target of rollout ", targets.rollout_id));
      }
    }
    for (const HostRecord& h : known) {
      if (Contains(in_rollout, h.name) &&
          (!narrowed || MatchesTargets(h, targets.hosts, targets.labels))) {
        chosen.push_back(h.name);
      }
    }
  } else {
    if (!narrowed) {
      return absl::InvalidArgumentError("rollback needs --host, --label or --rollout");
    }
    for (const HostRecord& h : known) {
      if (MatchesTargets(h, targets.hosts, targets.labels)) chosen.push_back(h.name);
    }
  }
  if (chosen.empty()) return absl::InvalidArgumentError("no host matches");
  return chosen;
}

}  // namespace relayguard::controller
