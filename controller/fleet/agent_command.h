// What the controller sends an agent, independent of the wire format: one type per command,
// each with only the fields it has. The stream reactor turns each into its proto message.
#ifndef RELAYGUARD_CONTROLLER_FLEET_AGENT_COMMAND_H_
#define RELAYGUARD_CONTROLLER_FLEET_AGENT_COMMAND_H_

#include <cstdint>
#include <string>
#include <variant>

namespace relayguard::controller {

// Apply `policy_name` v`policy_version` (its playbook text) as a rollout step; answered by an
// ACK or NACK carrying `nonce`.
struct PushCommand {
  std::string nonce;
  std::string rollout_id;
  std::string policy_name;
  uint64_t policy_version = 0;
  std::string policy_yaml;
};

// Restore the configuration of `to_commit` (empty: from before the newest apply); answered by
// an ACK or NACK carrying `nonce`. `rollout_id` is empty for a rollback outside a rollout.
struct RollbackCommand {
  std::string nonce;
  std::string rollout_id;
  std::string to_commit;
};

// A dry run of the policy: the diff it would make, nothing changed; answered by a plan result
// carrying `nonce`.
struct PlanCommand {
  std::string nonce;
  std::string policy_name;
  uint64_t policy_version = 0;
  std::string policy_yaml;
};

// Stop enforcing `policy_name` v`policy_version` (audit only) for `reason`. Not answered.
struct EnforceHoldCommand {
  std::string policy_name;
  uint64_t policy_version = 0;
  std::string reason;
};

// The compliance report numbered `seq` is stored: the agent may drop it from its queue.
struct ComplianceAckCommand {
  uint64_t seq = 0;
};

// The attempt report numbered `seq` (the log monitor's) is stored: the agent may drop it.
struct AttemptAckCommand {
  uint64_t seq = 0;
};

using AgentCommand = std::variant<PushCommand, RollbackCommand, PlanCommand, EnforceHoldCommand,
                                  ComplianceAckCommand, AttemptAckCommand>;

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_FLEET_AGENT_COMMAND_H_
