// What several commands share: --hosts/--label (plan, rollout start, rollback), --reason and
// choosing the command to run.
#include "absl/strings/str_split.h"
#include "common/command_line.h"
#include "controller/cli/commands/commands.h"

namespace relayguard::controller {

void AddTargetOptions(CLI::App& command, Targets& targets) {
  command.add_option("--hosts,--host", targets.hosts, "target hosts by name")
      ->type_name("H1,H2");
  AddLabelOption(command, targets.labels, "target hosts with this label (repeatable; all must "
                                          "match)");
}

void AddReasonOption(CLI::App& command, std::string& reason) {
  command.add_option("--reason", reason,
                     "why you do this, recorded with who and when in the audit log "
                     "(relayguardctl audit); one line, at most 500 characters")
      ->type_name("TEXT");
}

void OnChosen(CLI::App& command, CtlRun& run, CtlRun body) {
  command.callback([&run, body = std::move(body)] { run = body; });
}

std::vector<std::string> TargetHosts(const Targets& targets) {
  return absl::StrSplit(targets.hosts, ',', absl::SkipEmpty());
}

}  // namespace relayguard::controller
