#include "agent/cli/agent_flags.h"

#include "common/command_line.h"

namespace relayguard::agent {
namespace {

constexpr char kGlobalsFooter[] =
    "The global options (relayguard-agent --help: --mta, --mta-config-dir, --state-dir, --json, "
    "...) go before or after the command.\n"
    "exit codes: 0 ok, 1 usage, 2 refused (nothing changed), 3 failed and rolled back,\n"
    "  4 not compliant, 5 restoring failed (the host needs attention)\n";

void AddGlobalOptions(CLI::App& app, AgentFlags& f) {
  app.add_option("--mta", f.mta.mta, "MTA kind; auto: the one installed, or the one running "
                                     "when several are")
      ->check(OneOf({"auto", "postfix", "exim", "sendmail"}));
  app.add_option("--mta-config-dir", f.mta.config_dir,
                 "configuration directory (default /etc/postfix, /etc/exim4, /etc/mail); Exim: "
                 "DIR/exim4.conf (or --exim-config), else Debian's DIR/update-exim4.conf.conf, "
                 "whose generated file the daemon runs (--exim-generated)")
      ->transform(AbsolutePath());
  app.add_option("--exim-config", f.mta.exim_config, "Exim's monolithic configuration file")
      ->transform(AbsolutePath());
  app.add_option("--exim-generated", f.mta.exim_generated,
                 "the file update-exim4.conf generates for Debian's Exim")
      ->transform(AbsolutePath());
  app.add_option("--mta-bin-dir", f.mta.bin_dir,
                 "where the MTA's programs live: postconf + postfix, exim4, sendmail + makemap")
      ->transform(AbsolutePath());
  app.add_option("--sendmail-cf-dir", f.mta.sendmail_cf_dir, "sendmail-cf's m4 macros")
      ->transform(AbsolutePath());
  app.add_option("--m4", f.mta.m4, "m4 for building sendmail.cf")->transform(AbsolutePath());
  app.add_option("--state-dir", f.state_dir, "backups, journal, lock")->transform(AbsolutePath());
  app.add_option("--smtp", f.smtp,
                 "also probe this endpoint (one the configuration does not declare, e.g. a port "
                 "forward); every listener the configuration declares is probed anyway")
      ->type_name("HOST:PORT");
  app.add_flag("--json", f.json, "machine-readable output");
  app.add_option("--log-level", f.log_level, "log level")
      ->check(OneOf({"debug", "info", "warn", "error", "off"}));
}

CLI::App* AddCommand(CLI::App& app, AgentFlags& f, AgentCommand command, const std::string& name,
                     const std::string& description) {
  CLI::App* sub = app.add_subcommand(name, description);
  sub->fallthrough();  // the global options may follow the command
  sub->footer(kGlobalsFooter);
  sub->callback([&f, command] { f.command = command; });
  return sub;
}

CLI::Option* AddPolicy(CLI::App& sub, AgentFlags& f, const std::string& help) {
  return sub.add_option("--policy", f.policy, help)->type_name("FILE");
}

}  // namespace

ParsedAgentFlags ParseAgentFlags(const std::vector<std::string>& args, std::ostream& out,
                                 std::ostream& err) {
  ParsedAgentFlags parsed;
  AgentFlags& f = parsed.flags;
  CLI::App app("relayguard-agent: closes an open mail relay on this host and keeps it closed");
  SetUpApp(app, "relayguard-agent");
  app.require_subcommand(1);
  app.footer(
      "exit codes: 0 ok, 1 usage, 2 refused (nothing changed), 3 failed and rolled back,\n"
      "  4 not compliant, 5 restoring failed (the host needs attention)\n");
  AddGlobalOptions(app, f);

  CLI::App* apply = AddCommand(app, f, AgentCommand::kApply, "apply",
                               "make the policy hold, verify it, roll back on failure");
  AddPolicy(*apply, f, "the policy to apply")->required();
  apply->add_flag("--dry-run", f.apply.dry_run, "print the diff; change nothing");

  CLI::App* rollback = AddCommand(app, f, AgentCommand::kRollback, "rollback",
                                  "restore the files from before the last apply (or COMMIT)");
  rollback->add_option("--to", f.rollback.to, "the backup commit to restore")
      ->type_name("COMMIT");
  AddPolicy(*rollback, f, "probe settings for the verification");

  CLI::App* history =
      AddCommand(app, f, AgentCommand::kHistory, "history", "backup commits, newest first");
  history->add_option("--limit", f.history.limit, "how many")->check(IntBetween(1, 1000000, "needs a positive number"));

  CLI::App* diff = AddCommand(app, f, AgentCommand::kDiff, "diff", "what COMMIT changed");
  diff->add_option("COMMIT", f.diff.commit, "a backup commit")->required();

  CLI::App* status = AddCommand(app, f, AgentCommand::kStatus, "status",
                                "relay verdict from the untrusted address, compliance");
  AddPolicy(*status, f, "also compare the settings with this policy");

  CLI::App* check = AddCommand(
      app, f, AgentCommand::kCheck, "check",
      "one compliance check now against FILE (default: the policy this host last applied); "
      "enforces when its compliance.mode says enforce and a window is open");
  AddPolicy(*check, f, "the policy to check against");

  CLI::App* probe = AddCommand(app, f, AgentCommand::kProbe, "probe",
                               "one relay probe, no state needed (exit 4 if it relays)");
  probe->add_option("--smtp", f.smtp, "the endpoint to probe")->type_name("HOST:PORT")->required();
  probe->add_option("--from", f.probe.from, "source address (default: the policy's untrusted one)")
      ->type_name("ADDR");
  AddPolicy(*probe, f, "probe settings (default: the built-in ones)");
  probe->add_flag("--tls-on-connect", f.probe.tls_on_connect,
                  "implicit TLS from the first byte (port 465)");

  CLI::App* run = AddCommand(
      app, f, AgentCommand::kRun, "run",
      "keep a stream to the controller and apply what it pushes; runs the compliance checks of "
      "the applied policy's schedule, also while disconnected");
  run->add_option("--controller", f.run.controller, "the controller")
      ->type_name("HOST:PORT")
      ->required();
  run->add_option("--host", f.run.host, "this host's name in the fleet")->required();
  AddLabelOption(*run, f.run.labels, "a label of this host (repeatable)");
  run->add_option("--ca", f.run.ca_file, "CA certificate (mTLS)")->type_name("FILE");
  run->add_option("--cert", f.run.cert_file, "this host's certificate (CN = --host)")
      ->type_name("FILE");
  run->add_option("--key", f.run.key_file, "its key")->type_name("FILE");
  run->add_flag("--insecure", f.run.insecure, "plaintext, no authentication: local experiments");
  run->add_option("--heartbeat-s", f.run.heartbeat_s,
                  "heartbeat interval; three unanswered -> reconnect")
      ->check(IntBetween(1, 3600, "needs 1..3600 seconds"));
  run->callback([&f] {
    f.command = AgentCommand::kRun;
    if (!f.run.insecure && (f.run.ca_file.empty() || f.run.cert_file.empty() ||
                            f.run.key_file.empty())) {
      throw CLI::ValidationError(
          "run", "needs --ca, --cert and --key (mTLS), or --insecure for local experiments");
    }
  });

  parsed.exit_code = ParseCommandLine(app, args, out, err);
  return parsed;
}

}  // namespace relayguard::agent
