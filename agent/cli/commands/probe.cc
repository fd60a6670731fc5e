// relayguard-agent probe: one relay probe of one endpoint.
#include "agent/cli/agent_cli.h"
#include "agent/cli/agent_context.h"
#include "agent/cli/report_output.h"

namespace relayguard::agent {

// A one-off probe: no MTA driver, no state dir, no lock (works beside a running agent).
int RunProbe(const AgentFlags& f, const std::optional<Policy>& policy, std::ostream& out,
          std::ostream& err) {
  absl::StatusOr<SmtpEndpoint> endpoint = ParseSmtpEndpoint(*f.smtp);
  if (!endpoint.ok()) {
    err << "relayguard-agent: --smtp: " << endpoint.status().message() << "\n";
    return kExitUsage;
  }
  ProbeSettings settings = policy ? policy->probe : DefaultProbeSettings();
  if (!f.probe.from.empty()) {
    absl::StatusOr<IpAddress> from = ParseIpAddress(f.probe.from);
    if (!from.ok()) {
      err << "relayguard-agent: --from: " << from.status().message() << "\n";
      return kExitUsage;
    }
    settings.untrusted_source = *from;
  }
  ProbeOptions options{settings.untrusted_source, settings.helo_name, settings.timeout};
  options.tls_on_connect = f.probe.tls_on_connect;
  ProbeReport report = RunRelayProbe(
      *endpoint, BasicRelayTests(settings.sender, settings.foreign_recipient), options);
  if (f.json) {
    out << JsonText(ProbeJson(report));
  } else {
    out << HumanProbe("relay probe from", report);
  }
  switch (report.verdict) {
    case ProbeVerdict::kRefused: return kExitOk;
    case ProbeVerdict::kRelayAccepted: return kExitNotCompliant;
    case ProbeVerdict::kInconclusive: return kExitRefused;
  }
  return kExitRefused;
}

}  // namespace relayguard::agent
