// relayguardctl's commands, one file each: every Add*Command adds its subcommand with exactly
// the options it takes; when the command line chooses it, its callback sets `run`.
#ifndef RELAYGUARD_CONTROLLER_CLI_COMMANDS_COMMANDS_H_
#define RELAYGUARD_CONTROLLER_CLI_COMMANDS_COMMANDS_H_

#include <map>
#include <string>

#include <CLI/CLI.hpp>
#include "controller/cli/ctl_context.h"

namespace relayguard::controller {

// The hosts a command targets: by name and/or by labels (all must match).
struct Targets {
  std::string hosts;  // "a,b"
  std::map<std::string, std::string> labels;
};
void AddTargetOptions(CLI::App& command, Targets& targets);
// `targets.hosts` split at commas, empty names dropped.
std::vector<std::string> TargetHosts(const Targets& targets);

// --reason TEXT on a command that changes hosts or a rollout: why, for the audit log. The
// controller checks it (one line, at most 500 characters), not the CLI.
void AddReasonOption(CLI::App& command, std::string& reason);

// When the command line chooses `command`, `body` is what runs.
void OnChosen(CLI::App& command, CtlRun& run, CtlRun body);

void AddHostsCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run);
void AddPlanCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run);
void AddRolloutCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run);
void AddRollbackCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run);
void AddHistoryCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run);
void AddAuditCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run);
void AddComplianceCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run);
void AddAttemptsCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run);
void AddPlaybooksCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run);
void AddUsersCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run);
// No controller needed.
void AddScanCommand(CLI::App& app, CtlRun& run);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_CLI_COMMANDS_COMMANDS_H_
