#include "controller/playbooks/playbook_dir.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "agent/policy/policy_loader.h"

namespace relayguard::controller {

std::pair<std::vector<std::string>, std::vector<std::string>> LoadPlaybookDir(
    const std::string& dir, StoreFacade& store, int64_t now) {
  std::vector<std::string> loaded, errors;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  if (ec) {
    errors.push_back(absl::StrCat("cannot read playbook dir ", dir, ": ", ec.message()));
    return {loaded, errors};
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    absl::StatusOr<agent::Policy> policy = agent::ParsePolicy(ss.str(), path.string());
    if (!policy.ok()) {
      errors.push_back(std::string(policy.status().message()));
      continue;
    }
    PolicyVersionRecord record{policy->name, policy->version, ss.str(), now};
    if (absl::Status s = store.AddPolicy(record); !s.ok()) {
      errors.push_back(absl::StrCat(path.string(), ": ", s.message()));
      continue;
    }
    loaded.push_back(absl::StrCat(policy->name, " v", policy->version));
  }
  return {loaded, errors};
}

}  // namespace relayguard::controller
