#include "agent/cli/run_reload.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/tls_pem.h"

namespace relayguard::agent {

absl::StatusOr<std::string> TlsFingerprint(const RunFlags& run) {
  if (run.insecure) return std::string();
  absl::StatusOr<TlsPem> pem = ReadTlsFiles({run.ca_file, run.cert_file, run.key_file}, "agent");
  if (!pem.ok()) return pem.status();
  return absl::StrCat(pem->ca.size(), ":", pem->ca, pem->cert.size(), ":", pem->cert, pem->key);
}

ReloadPlan PlanReload(const AgentFlags& running, const AgentFlags& loaded, bool tls_changed) {
  ReloadPlan plan;
  plan.flags = loaded;
  plan.tls_changed = tls_changed;
  auto note = [](std::vector<std::string>& list, bool differs, const char* key) {
    if (differs) list.push_back(key);
  };
  note(plan.live, running.log_level != loaded.log_level, "log_level");
  note(plan.live, running.run.metrics_file != loaded.run.metrics_file, "metrics_file");
  const RunFlags &was = running.run, &now = loaded.run;
  note(plan.stream, was.controller != now.controller, "controller");
  note(plan.stream, was.host != now.host, "host");
  note(plan.stream, was.labels != now.labels, "labels");
  note(plan.stream, was.insecure != now.insecure, "insecure");
  note(plan.stream, was.ca_file != now.ca_file, "ca");
  note(plan.stream, was.cert_file != now.cert_file, "cert");
  note(plan.stream, was.key_file != now.key_file, "key");
  note(plan.stream, was.heartbeat_s != now.heartbeat_s, "heartbeat_s");
  // The MTA driver, the state directory and its lock are wired once, at start.
  const MtaFlags &m0 = running.mta, &m1 = loaded.mta;
  note(plan.restart, m0.mta != m1.mta, "mta");
  note(plan.restart, m0.config_dir != m1.config_dir, "mta_config_dir");
  note(plan.restart, m0.exim_config != m1.exim_config, "exim_config");
  note(plan.restart, m0.exim_generated != m1.exim_generated, "exim_generated");
  note(plan.restart, m0.bin_dir != m1.bin_dir, "mta_bin_dir");
  note(plan.restart, m0.sendmail_cf_dir != m1.sendmail_cf_dir, "sendmail_cf_dir");
  note(plan.restart, m0.m4 != m1.m4, "m4");
  note(plan.restart, running.state_dir != loaded.state_dir, "state_dir");
  note(plan.restart, running.smtp != loaded.smtp, "smtp");
  plan.flags.mta = running.mta;
  plan.flags.state_dir = running.state_dir;
  plan.flags.smtp = running.smtp;
  return plan;
}

absl::StatusOr<ReloadPlan> ReloadAgentFlags(const AgentFlags& running,
                                            const std::string& running_tls) {
  std::ostringstream out, err;
  ParsedAgentFlags parsed =
      ParseAgentFlags(running.source.args, out, err, running.source.default_config);
  if (parsed.exit_code) {
    // ParseAgentFlags' words are for a starting agent: this one goes on as it was.
    std::string text = err.str();
    absl::StrReplaceAll({{"\nnothing was changed\n", ""}}, &text);
    text = std::string(absl::StripSuffix(text, "\n"));
    text = std::string(absl::StripPrefix(absl::StripPrefix(text, "relayguard-agent run: "),
                                         "relayguard-agent: "));
    absl::StrReplaceAll({{"\n", "; "}}, &text);
    return absl::InvalidArgumentError(text);
  }
  absl::StatusOr<std::string> tls = TlsFingerprint(parsed.flags.run);
  if (!tls.ok()) return tls.status();
  ReloadPlan plan = PlanReload(running, parsed.flags, *tls != running_tls);
  plan.config_file = parsed.config_file;
  plan.tls = *std::move(tls);
  return plan;
}

std::string DescribeReload(const ReloadPlan& plan) {
  std::vector<std::string> parts;
  if (!plan.live.empty()) parts.push_back(absl::StrCat(absl::StrJoin(plan.live, ", "), " applied"));
  if (plan.reconnect()) {
    std::vector<std::string> why = plan.stream;
    if (plan.tls_changed) why.push_back("the certificate files' contents");
    parts.push_back(absl::StrCat(absl::StrJoin(why, ", "),
                                 " changed: reconnecting to the controller with the new settings"));
  }
  if (!plan.restart.empty()) {
    parts.push_back(absl::StrCat(absl::StrJoin(plan.restart, ", "),
                                 " changed but take effect only when the agent restarts (still "
                                 "using the values it started with)"));
  }
  if (parts.empty()) return "nothing changed";
  return absl::StrJoin(parts, "; ");
}

}  // namespace relayguard::agent
