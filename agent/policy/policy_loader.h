// Loads a playbook YAML file into a Policy with strict validation. Every error names
// FILE:LINE:COL and the field, e.g.
//   playbooks/x.yaml:7:5: relay.trusted_networks[1]: prefix length 33 is out of range 0..32
#ifndef RELAYGUARD_AGENT_POLICY_POLICY_LOADER_H_
#define RELAYGUARD_AGENT_POLICY_POLICY_LOADER_H_

#include <string>

#include "absl/status/statusor.h"
#include "agent/policy/policy.h"

namespace relayguard::agent {

// Parses `yaml_text`; `source_name` is used in messages. InvalidArgument on any problem.
absl::StatusOr<Policy> ParsePolicy(const std::string& yaml_text, const std::string& source_name);

// Reads and parses a file. NotFound / PermissionDenied name the path.
absl::StatusOr<Policy> LoadPolicyFile(const std::string& path);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_POLICY_POLICY_LOADER_H_
