// relayguard-controller's settings: its command line over its configuration file
// (/etc/relayguard/controller.yaml, or --config FILE; deploy/etc/controller.yaml lists the keys),
// and `relayguard-controller config check`, which prints what is in effect.
#ifndef RELAYGUARD_CONTROLLER_CONFIG_CONTROLLER_CONFIG_H_
#define RELAYGUARD_CONTROLLER_CONFIG_CONTROLLER_CONFIG_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/config_file.h"

namespace relayguard::controller {

constexpr char kDefaultControllerConfig[] = "/etc/relayguard/controller.yaml";

constexpr int kControllerExitUsage = 1;   // bad command line, or the mTLS files are unusable
constexpr int kControllerExitFailed = 2;  // the configuration file, the store or the listener

struct ControllerConfig {
  std::string listen = "127.0.0.1:7443";
  std::string playbooks = "playbooks";
  std::string state_dir = "/var/lib/relayguard-controller";
  std::string ca, cert, key;  // mTLS; the key readable by its owner only
  bool insecure = false;
  int agent_timeout_s = 90;
  std::string log_level = "info";
  std::string metrics_listen;  // HOST:PORT of /metrics over HTTP; "" = no metrics endpoint
  // The dashboard over HTTPS (controller/web): HOST:PORT, "" = off. Its certificate and key
  // default to cert/key.
  std::string web_listen;
  std::string web_cert, web_key;
  int web_max_streams = 8;  // live-update streams open at once
};

struct ParsedControllerFlags {
  ControllerConfig config;
  std::optional<std::string> config_path;  // --config FILE
  bool config_check = false;               // `config check`: print, do not serve
  // Set when the controller exits at once: --help/--version (0, `out`), a usage error (1,
  // `err`) or a configuration file that cannot be used (2, `err`).
  std::optional<int> exit_code;
  std::string config_file;  // the file read; "" when the built-in defaults stand
  ConfigOrigins origins;
};

// Parses `args` (without the program name) over --config FILE, else `default_config` when it
// exists. The command line wins over the file, the file over the built-in defaults.
ParsedControllerFlags ParseControllerFlags(
    const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
    const std::string& default_config = kDefaultControllerConfig);

// The keys of controller.yaml, bound to the fields of `c` they set.
ConfigSchema ControllerConfigSchema(ControllerConfig& c);

// Whether the controller can serve with `c`'s mTLS settings: the three files given (or
// insecure), and the key readable by its owner only (common/private_file.h).
// FailedPrecondition naming the path and the mode otherwise; nothing is started.
absl::Status CheckControllerTls(const ControllerConfig& c);

// `config check`: prints the configuration in effect to `out`; 0, or 2 with the error on `err`.
int RunControllerConfigCheck(const ParsedControllerFlags& parsed, std::ostream& out,
                             std::ostream& err);

// Every command and option of relayguard-controller, with its description, bound to `p`: what
// ParseControllerFlags parses with, for the man page and tools/docgen.
void BuildControllerApp(CLI::App& app, ParsedControllerFlags& p);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_CONFIG_CONTROLLER_CONFIG_H_
