#include "controller/cli/ctl_app.h"

#include "common/command_line.h"
#include "controller/cli/commands/commands.h"

namespace relayguard::controller {

void BuildCtlApp(CLI::App& app, CtlContext& ctl, CtlRun& run) {
  app.description("relayguardctl: the operator CLI of relayguard-controller");
  SetUpApp(app, "relayguardctl");
  app.require_subcommand(1);
  app.fallthrough();  // inherited by the commands: the global options may follow the command
  Connection& c = ctl.connection;
  app.add_option("--controller", c.controller, "the controller")->type_name("HOST:PORT");
  app.add_option("--ca", c.ca, "CA certificate")->check(CLI::ExistingFile);
  app.add_option("--cert", c.cert, "operator certificate (CN = operator-NAME)")
      ->check(CLI::ExistingFile);
  app.add_option("--key", c.key, "its key")->check(CLI::ExistingFile);
  app.add_flag("--insecure", c.insecure, "plaintext, no authentication: a local experiment");
  // Inherited by every command; the commands with exit codes of their own extend it.
  app.footer(kConnectionFooter);
  AddHostsCommand(app, ctl, run);
  AddPlanCommand(app, ctl, run);
  AddRolloutCommand(app, ctl, run);
  AddRollbackCommand(app, ctl, run);
  AddHistoryCommand(app, ctl, run);
  AddAuditCommand(app, ctl, run);
  AddComplianceCommand(app, ctl, run);
  AddAttemptsCommand(app, ctl, run);
  AddPlaybooksCommand(app, ctl, run);
  AddUsersCommand(app, ctl, run);
  AddScanCommand(app, run);
  app.footer(
      "`relayguardctl COMMAND --help` lists the options of COMMAND; the options above go before "
      "or after it.\n"
      "exit codes: 0 ok, 1 usage, 2 the controller refused or failed, 3 the rollout halted or\n"
      "  was aborted (rollback: a host failed to restore), 4 (compliance, scan) some host's\n"
      "  newest check found drift, an open relay or an error (also when it is offline now),\n"
      "  5 (compliance) otherwise some host is unreachable or was never checked\n");
}

}  // namespace relayguard::controller
