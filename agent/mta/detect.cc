#include "agent/mta/detect.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace relayguard::agent {

absl::StatusOr<std::string> DetectMta(const std::vector<MtaCandidate>& candidates) {
  std::vector<const MtaCandidate*> installed, running;
  std::vector<std::string> looked;
  for (const MtaCandidate& c : candidates) {
    looked.push_back(absl::StrCat(c.kind, " (", c.where, ")"));
    if (!c.installed) continue;
    installed.push_back(&c);
    if (c.running) running.push_back(&c);
  }
  if (installed.empty()) {
    return absl::NotFoundError(absl::StrCat("no MTA found; looked for ",
                                            absl::StrJoin(looked, ", "),
                                            ": give --mta postfix|exim|sendmail and its paths"));
  }
  if (installed.size() == 1) return installed.front()->kind;
  if (running.size() == 1) return running.front()->kind;
  std::vector<std::string> found;
  for (const MtaCandidate* c : installed) {
    found.push_back(absl::StrCat(c->kind, c->running ? " (running)" : " (not running)"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "several MTAs found: ", absl::StrJoin(found, ", "),
      "; say which one to manage with --mta postfix|exim|sendmail"));
}

}  // namespace relayguard::agent
