#include "controller/config/controller_config.h"

#include "absl/strings/str_cat.h"
#include "common/command_line.h"
#include "common/host_port.h"
#include "common/private_file.h"
#include "common/status_macros.h"
#include "common/tls_files.h"

namespace relayguard::controller {
namespace {

constexpr char kDescription[] =
    "relayguard-controller: serves agent streams and the operator API, runs rollouts";

// HOST:PORT where the controller serves something (port 0: any free one).
CLI::Validator ListenAddress() {
  return CLI::Validator(
      [](std::string& value) {
        const std::string problem = HostPortProblem(value, 0);
        return problem.empty() ? "" : absl::StrCat("\"", value, "\": ", problem);
      },
      "");
}

void BuildApp(CLI::App& app, ParsedControllerFlags& p) {
  ControllerConfig& c = p.config;
  SetUpApp(app, "relayguard-controller");
  app.add_option("--config", p.config_path,
                 "the configuration file (default /etc/relayguard/controller.yaml when it "
                 "exists); options given here win over it")
      ->type_name("FILE");
  app.add_option("--listen", c.listen, "where agents and operators connect")
      ->type_name("HOST:PORT");
  app.add_option("--playbooks", c.playbooks, "playbook directory; re-read on SIGHUP")
      ->type_name("DIR");
  app.add_option("--state-dir", c.state_dir, "SQLite store")->type_name("DIR");
  app.add_option("--ca", c.ca, "CA certificate (mTLS: agents' CN = host name, operators' CN = "
                               "operator-NAME)")
      ->check(CLI::ExistingFile);
  app.add_option("--cert", c.cert, "the controller's certificate")->check(CLI::ExistingFile);
  app.add_option("--key", c.key, "its key (mode 600: readable by its owner only)")
      ->check(CLI::ExistingFile);
  app.add_flag("--insecure", c.insecure, "plaintext, no authentication: local experiments only");
  app.add_option("--agent-timeout-s", c.agent_timeout_s,
                 "close an agent stream silent this long (agents send a heartbeat every 30 s "
                 "by default)")
      ->check(IntBetween(1, 86400, "needs a positive number of seconds"));
  app.add_option("--metrics-listen", c.metrics_listen,
                 "serve Prometheus metrics over plain HTTP at http://HOST:PORT/metrics (off "
                 "unless given; use a loopback address, or a firewall)")
      ->type_name("HOST:PORT")
      ->check(ListenAddress());
  app.add_option("--web-listen", c.web_listen,
                 "serve the dashboard over HTTPS at https://HOST:PORT/ (off unless given; "
                 "accounts: relayguardctl users)")
      ->type_name("HOST:PORT")
      ->check(ListenAddress());
  app.add_option("--web-cert", c.web_cert,
                 "the dashboard's certificate (PEM chain; default: --cert)")
      ->check(CLI::ExistingFile);
  app.add_option("--web-key", c.web_key, "its key (mode 600; default: --key)")
      ->check(CLI::ExistingFile);
  app.add_option("--web-max-streams", c.web_max_streams,
                 "live-update streams open at once (browser tabs); more are refused with 503")
      ->check(IntBetween(1, 256, "needs a number from 1 to 256"));
  app.add_option("--log-level", c.log_level, "log level")
      ->check(OneOf({"debug", "info", "warn", "error", "off"}));
  app.footer("exit codes: 0 stopped by SIGTERM/SIGINT, 1 usage or unusable mTLS files, 2 the "
             "configuration file, the store or the listener failed\n");
  CLI::App* config = app.add_subcommand("config", "the configuration file");
  config->fallthrough();
  config->require_subcommand(1);
  CLI::App* check = config->add_subcommand(
      "check",
      "print the effective configuration (file, then command line) as YAML with where each value "
      "came from; exit 0, or 2 with the error");
  check->fallthrough();
  check->callback([&p] { p.config_check = true; });
}

// "" (no metrics endpoint) or HOST:PORT.
std::string OptionalListenText(std::string& value) {
  return value.empty() ? "" : ListenText(value);
}

}  // namespace

ConfigSchema ControllerConfigSchema(ControllerConfig& c) {
  ConfigSchema schema("controller configuration");
  schema.Text("listen", "--listen", &c.listen, ListenText)
      .Text("playbooks", "--playbooks", &c.playbooks, AnyText)
      .Text("state_dir", "--state-dir", &c.state_dir, AbsolutePathText)
      .Text("ca", "--ca", &c.ca, AbsolutePathText)
      .Text("cert", "--cert", &c.cert, AbsolutePathText)
      .Text("key", "--key", &c.key, AbsolutePathText)
      .Bool("insecure", "--insecure", &c.insecure)
      .Integer("agent_timeout_s", "--agent-timeout-s", &c.agent_timeout_s, 1, 86400)
      .Choice("log_level", "--log-level", &c.log_level, {"debug", "info", "warn", "error", "off"})
      .Text("metrics_listen", "--metrics-listen", &c.metrics_listen, OptionalListenText)
      .Text("web_listen", "--web-listen", &c.web_listen, OptionalListenText)
      .Text("web_cert", "--web-cert", &c.web_cert, AbsolutePathText)
      .Text("web_key", "--web-key", &c.web_key, AbsolutePathText)
      .Integer("web_max_streams", "--web-max-streams", &c.web_max_streams, 1, 256);
  return schema;
}

ParsedControllerFlags ParseControllerFlags(const std::vector<std::string>& args,
                                           std::ostream& out, std::ostream& err,
                                           const std::string& default_config) {
  ParsedControllerFlags parsed;
  {
    // The command line alone first: --help, usage errors and which file to read come before
    // the file is read.
    ParsedControllerFlags given;
    CLI::App app(kDescription);
    BuildApp(app, given);
    if (std::optional<int> exit = ParseCommandLine(app, args, out, err)) {
      parsed.exit_code = exit;
      return parsed;
    }
    parsed.config_path = given.config_path;
  }
  const ConfigSchema schema = ControllerConfigSchema(parsed.config);
  absl::StatusOr<std::optional<ConfigText>> file =
      ReadConfigFile(parsed.config_path, default_config);
  absl::Status loaded = file.status();
  if (file.ok() && file->has_value()) {
    parsed.config_file = (*file)->path;
    loaded = schema.Load((*file)->text, (*file)->path, parsed.origins);
  }
  if (!loaded.ok()) {
    err << "relayguard-controller: invalid configuration: " << loaded.message() << "\n";
    parsed.exit_code = kControllerExitFailed;
    return parsed;
  }
  // The command line again, over the file's values: only what it gives changes.
  CLI::App app(kDescription);
  BuildApp(app, parsed);
  if (std::optional<int> exit = ParseCommandLine(app, args, out, err)) {
    parsed.exit_code = exit;  // not expected: the same arguments parsed above
    return parsed;
  }
  schema.NoteCommandLine(AppsGiven(app), parsed.origins);
  return parsed;
}

absl::Status CheckControllerTls(const ControllerConfig& c) {
  if (c.insecure) return absl::OkStatus();
  if (c.ca.empty() || c.cert.empty() || c.key.empty()) {
    return absl::FailedPreconditionError(
        "give --ca, --cert and --key (mTLS), or --insecure (or ca, cert and key, or insecure, "
        "in the configuration file)");
  }
  return CheckPrivateFile(c.key, "key");
}

int RunControllerConfigCheck(const ParsedControllerFlags& parsed, std::ostream& out,
                             std::ostream& err) {
  ControllerConfig config = parsed.config;
  out << "# relayguard-controller: the effective configuration ("
      << (parsed.config_file.empty() ? "no configuration file: built-in defaults"
                                     : "file " + parsed.config_file)
      << ", then the command line); after each value, where it came from\n"
      << ControllerConfigSchema(config).Print(parsed.origins);
  absl::Status tls = CheckControllerTls(config);
  if (tls.ok() && !config.insecure) {
    tls = ReadTlsFiles({config.ca, config.cert, config.key}, "controller").status();
  }
  if (!tls.ok()) {
    err << "relayguard-controller config check: " << tls.message() << "\n";
    return kControllerExitFailed;
  }
  return 0;
}

void BuildControllerApp(CLI::App& app, ParsedControllerFlags& p) {
  app.description(kDescription);
  BuildApp(app, p);
}

}  // namespace relayguard::controller
