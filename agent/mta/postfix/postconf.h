// Postfix's own view of its parameters, through `postconf -c DIR` (by absolute path, never a
// shell): effective values with $name expanded and defaults filled in, optionally as one smtpd
// service sees them (`-o name=value` for each of its master.cf overrides), and the whole
// PostfixConfig that the listener and relay judgements read.
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_POSTCONF_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_POSTCONF_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/mta/postfix/postfix_config.h"
#include "agent/os/process_runner.h"

namespace relayguard::agent::postfix {

using Assignments = std::vector<std::pair<std::string, std::string>>;

// The first few lines of what a Postfix tool printed, for error messages (RunChecked).
std::string PostfixDiagnostics(const ProcessResult& r);

class Postconf {
 public:
  Postconf(ProcessRunner& runner, std::string postconf_path);

  // Runs postconf -c `config_dir` `args`; its stdout. FailedPrecondition naming the command and
  // its diagnostics on a non-zero exit.
  absl::StatusOr<std::string> Run(const std::string& config_dir,
                                  const std::vector<std::string>& args);

  // `postconf -c DIR -x [-o name=value]... NAMES`: effective values of `names` (unknown names
  // are left out) with `overrides` applied in order, as smtpd with those -o options sees them.
  absl::StatusOr<ParameterValues> Expanded(const std::string& config_dir,
                                           const std::vector<std::string>& names,
                                           const Assignments& overrides = {});

  // Reads the configuration in `config_dir` whose files hold `main_text` and `master_text`
  // (the files relayguard is judging; when they differ from the files in `config_dir`, say so
  // with `texts_differ`: main.cf's parameters are then passed as -o too). Paths in the result
  // are `main_cf_path` and `master_cf_path`. One postconf run, plus one per smtpd service.
  absl::StatusOr<PostfixConfig> ReadConfig(const std::string& config_dir,
                                           const std::string& main_cf_path,
                                           const std::string& master_cf_path,
                                           const std::string& main_text,
                                           const std::string& master_text,
                                           const PostfixVersion& version, bool texts_differ);

 private:
  ProcessRunner& runner_;
  std::string postconf_path_;
};

// The -o options of a master.cf service, in order.
Assignments ServiceOverrides(const MasterCf::Service& service);

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_POSTCONF_H_
