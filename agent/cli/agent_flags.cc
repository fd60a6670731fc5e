#include "agent/cli/agent_flags.h"

#include "common/command_line.h"

namespace relayguard::agent {
namespace {

constexpr char kAgentDescription[] =
    "relayguard-agent: closes an open mail relay on this host and keeps it closed";

constexpr char kGlobalsFooter[] =
    "The global options (relayguard-agent --help: --config, --mta, --mta-config-dir, "
    "--state-dir, --json, ...) go before or after the command.\n"
    "exit codes: 0 ok, 1 usage, 2 refused (nothing changed), 3 failed and rolled back,\n"
    "  4 not compliant, 5 restoring failed (the host needs attention)\n";

// An absolute path, or "" for none.
CLI::Validator OptionalAbsolutePath() {
  return CLI::Validator(
      [](std::string& path) { return path.empty() ? std::string() : AbsolutePathText(path); },
      "ABSOLUTE-PATH");
}

// monitor_journal_match: "" or FIELD=VALUE items separated by commas, FIELD a journal field name
// (capitals, digits, underscores), VALUE without commas or control characters.
std::string JournalMatchText(std::string& value) {
  if (value.empty()) return "";
  size_t start = 0;
  while (true) {
    const size_t comma = value.find(',', start);
    const std::string item =
        value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t eq = item.find('=');
    bool ok = eq != std::string::npos && eq > 0 && eq + 1 < item.size();
    for (size_t i = 0; ok && i < eq; ++i) {
      const char c = item[i];
      ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }
    for (size_t i = eq + 1; ok && i < item.size(); ++i) {
      ok = static_cast<unsigned char>(item[i]) >= 0x20 && item[i] != 0x7f;
    }
    if (!ok) {
      return "needs FIELD=VALUE items separated by commas (e.g. "
             "_SYSTEMD_UNIT=postfix@-.service,SYSLOG_IDENTIFIER=postfix/smtpd), got \"" + item +
             "\"";
    }
    if (comma == std::string::npos) return "";
    start = comma + 1;
  }
}

void AddGlobalOptions(CLI::App& app, AgentFlags& f) {
  app.add_option("--config", f.config,
                 "the configuration file (default /etc/relayguard/agent.yaml when it exists); "
                 "options given here win over it")
      ->type_name("FILE");
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

// run's options (also taken by `config check`, which shows what run would use).
void AddRunOptions(CLI::App& run, RunFlags& r) {
  run.add_option("--controller", r.controller, "the controller")->type_name("HOST:PORT");
  run.add_option("--host", r.host, "this host's name in the fleet");
  AddLabelOption(run, r.labels, "a label of this host (repeatable)");
  run.add_option("--ca", r.ca_file, "CA certificate (mTLS)")->type_name("FILE");
  run.add_option("--cert", r.cert_file, "this host's certificate (CN = --host)")
      ->type_name("FILE");
  run.add_option("--key", r.key_file, "its key")->type_name("FILE");
  run.add_flag("--insecure", r.insecure, "plaintext, no authentication: local experiments");
  run.add_option("--heartbeat-s", r.heartbeat_s,
                 "heartbeat interval; three unanswered -> reconnect")
      ->check(IntBetween(1, 3600, "needs 1..3600 seconds"));
  run.add_option("--metrics-file", r.metrics_file,
                 "write the metrics there for node_exporter's textfile collector (a .prom file "
                 "in its directory, e.g. /var/lib/prometheus/node-exporter/); \"\" = none")
      ->type_name("FILE")
      ->transform(OptionalAbsolutePath());
  MonitorFlags& m = r.monitor;
  run.add_option("--monitor", m.source,
                 "the mail log monitor: auto (the MTA's log file, else the journal), file, "
                 "journal or off")
      ->check(CLI::IsMember({"auto", "file", "journal", "off"}));
  run.add_option("--monitor-log", m.log_file,
                 "the MTA's log file (default: maillog_file, /var/log/exim4/mainlog or "
                 "/var/log/mail.log)")
      ->type_name("FILE")
      ->transform(OptionalAbsolutePath());
  run.add_option("--monitor-journal-match", m.journal_match,
                 "journal matches FIELD=VALUE,... (default: the MTA's units and identifiers)")
      ->check([](const std::string& text) {
        std::string value = text;
        return JournalMatchText(value);
      });
  run.add_option("--monitor-report-s", m.report_s, "how often the counts go to the controller")
      ->check(IntBetween(1, 3600, "needs 1..3600 seconds"));
  run.add_option("--monitor-refused-per-source", m.refused_per_source,
                 "refused relay attempts from one address within the window that raise a "
                 "warning (0: never)")
      ->check(IntBetween(0, 1000000, "needs 0..1000000"));
  run.add_option("--monitor-sasl-failures-per-source", m.sasl_failures_per_source,
                 "failed SMTP AUTH attempts from one address within the window that raise a "
                 "warning (0: never)")
      ->check(IntBetween(0, 1000000, "needs 0..1000000"));
  run.add_option("--monitor-threshold-window-s", m.threshold_window_s,
                 "the window of those thresholds")
      ->check(IntBetween(10, 86400, "needs 10..86400 seconds"));
  run.add_option("--monitor-max-sources", m.max_sources,
                 "source addresses tracked at once (the least active are dropped first)")
      ->check(IntBetween(10, 100000, "needs 10..100000"));
}

// What run needs, from the command line or the file; "" when it has it.
std::string MissingForRun(const RunFlags& r) {
  if (r.controller.empty()) return "needs --controller HOST:PORT (or controller: in the file)";
  if (r.host.empty()) return "needs --host NAME (or host: in the file)";
  if (!r.insecure && (r.ca_file.empty() || r.cert_file.empty() || r.key_file.empty())) {
    return "needs --ca, --cert and --key (mTLS), or --insecure for local experiments";
  }
  return "";
}

// Every command and option, bound to `f`.
void BuildApp(CLI::App& app, AgentFlags& f) {
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
  AddRunOptions(*run, f.run);

  CLI::App* config = app.add_subcommand("config", "the configuration file");
  config->fallthrough();
  config->require_subcommand(1);
  CLI::App* config_check = AddCommand(
      *config, f, AgentCommand::kConfigCheck, "check",
      "print the effective configuration (file, then command line) as YAML with where each "
      "value came from; exit 0, or 2 with the error");
  AddRunOptions(*config_check, f.run);
}

}  // namespace

ConfigSchema AgentConfigSchema(AgentFlags& f) {
  ConfigSchema schema("agent configuration");
  schema.Choice("mta", "--mta", &f.mta.mta, {"auto", "postfix", "exim", "sendmail"})
      .Text("mta_config_dir", "--mta-config-dir", &f.mta.config_dir, AbsolutePathText)
      .Text("exim_config", "--exim-config", &f.mta.exim_config, AbsolutePathText)
      .Text("exim_generated", "--exim-generated", &f.mta.exim_generated, AbsolutePathText)
      .Text("mta_bin_dir", "--mta-bin-dir", &f.mta.bin_dir, AbsolutePathText)
      .Text("sendmail_cf_dir", "--sendmail-cf-dir", &f.mta.sendmail_cf_dir, AbsolutePathText)
      .Text("m4", "--m4", &f.mta.m4, AbsolutePathText)
      .Text("state_dir", "--state-dir", &f.state_dir, AbsolutePathText)
      .OptionalText("smtp", "--smtp", &f.smtp, SmtpEndpointText)
      .Choice("log_level", "--log-level", &f.log_level, {"debug", "info", "warn", "error", "off"})
      .Text("controller", "--controller", &f.run.controller, HostPortText)
      .Text("host", "--host", &f.run.host, HostNameText)
      .Labels("labels", "--label", &f.run.labels)
      .Text("ca", "--ca", &f.run.ca_file, AbsolutePathText)
      .Text("cert", "--cert", &f.run.cert_file, AbsolutePathText)
      .Text("key", "--key", &f.run.key_file, AbsolutePathText)
      .Bool("insecure", "--insecure", &f.run.insecure)
      .Integer("heartbeat_s", "--heartbeat-s", &f.run.heartbeat_s, 1, 3600)
      .Text("metrics_file", "--metrics-file", &f.run.metrics_file, [](std::string& value) {
        return value.empty() ? "" : AbsolutePathText(value);
      })
      .Choice("monitor", "--monitor", &f.run.monitor.source, {"auto", "file", "journal", "off"})
      .Text("monitor_log", "--monitor-log", &f.run.monitor.log_file, [](std::string& value) {
        return value.empty() ? "" : AbsolutePathText(value);
      })
      .Text("monitor_journal_match", "--monitor-journal-match", &f.run.monitor.journal_match,
            JournalMatchText)
      .Integer("monitor_report_s", "--monitor-report-s", &f.run.monitor.report_s, 1, 3600)
      .Integer("monitor_refused_per_source", "--monitor-refused-per-source",
               &f.run.monitor.refused_per_source, 0, 1000000)
      .Integer("monitor_sasl_failures_per_source", "--monitor-sasl-failures-per-source",
               &f.run.monitor.sasl_failures_per_source, 0, 1000000)
      .Integer("monitor_threshold_window_s", "--monitor-threshold-window-s",
               &f.run.monitor.threshold_window_s, 10, 86400)
      .Integer("monitor_max_sources", "--monitor-max-sources", &f.run.monitor.max_sources, 10,
               100000);
  return schema;
}

ParsedAgentFlags ParseAgentFlags(const std::vector<std::string>& args, std::ostream& out,
                                 std::ostream& err, const std::string& default_config) {
  ParsedAgentFlags parsed;
  AgentFlags& f = parsed.flags;
  f.source = {args, default_config};
  {
    // The command line alone first: --help, usage errors and which file to read come before
    // the file is read.
    AgentFlags given;
    CLI::App app(kAgentDescription);
    BuildApp(app, given);
    if (std::optional<int> exit = ParseCommandLine(app, args, out, err)) {
      parsed.exit_code = exit;
      return parsed;
    }
    f.config = given.config;
  }
  const ConfigSchema schema = AgentConfigSchema(f);
  absl::StatusOr<std::optional<ConfigText>> file = ReadConfigFile(f.config, default_config);
  absl::Status loaded = file.status();
  if (file.ok() && file->has_value()) {
    parsed.config_file = (*file)->path;
    loaded = schema.Load((*file)->text, (*file)->path, parsed.origins);
  }
  if (!loaded.ok()) {
    err << "relayguard-agent: invalid configuration: " << loaded.message()
        << "\nnothing was changed\n";
    parsed.exit_code = 2;  // kExitRefused (agent_cli.h)
    return parsed;
  }
  // The command line again, over the file's values: only what it gives changes.
  CLI::App app(kAgentDescription);
  BuildApp(app, f);
  if (std::optional<int> exit = ParseCommandLine(app, args, out, err)) {
    parsed.exit_code = exit;  // not expected: the same arguments parsed above
    return parsed;
  }
  schema.NoteCommandLine(AppsGiven(app), parsed.origins);
  if (f.command == AgentCommand::kRun) {
    if (std::string missing = MissingForRun(f.run); !missing.empty()) {
      err << "relayguard-agent run: " << missing << "\nrun `relayguard-agent run --help` for the "
          << "options it takes\n";
      parsed.exit_code = 1;
    }
  }
  return parsed;
}

std::string MissingAgentRunSettings(const AgentFlags& f) { return MissingForRun(f.run); }

void BuildAgentApp(CLI::App& app, AgentFlags& f) {
  app.description(kAgentDescription);
  BuildApp(app, f);
}

}  // namespace relayguard::agent
