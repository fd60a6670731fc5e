// The probe behind an interface, so the apply transaction's verification logic can be tested
// with scripted verdicts. RealRelayChecker speaks real SMTP (relay_probe.h).
#ifndef RELAYGUARD_AGENT_PROBE_RELAY_CHECKER_H_
#define RELAYGUARD_AGENT_PROBE_RELAY_CHECKER_H_

#include <vector>

#include "agent/auth/smtp_auth_probe.h"
#include "agent/probe/relay_probe.h"

namespace relayguard::agent {

class RelayChecker {
 public:
  virtual ~RelayChecker() = default;
  // Runs relay tests; never fails (problems make the verdict inconclusive).
  virtual ProbeReport Probe(const SmtpEndpoint& endpoint, const std::vector<RelayTest>& tests,
                            const ProbeOptions& options) = 0;
  // OK when the server greets with 220.
  virtual absl::Status Greeting(const SmtpEndpoint& endpoint, const ProbeOptions& options) = 0;
  // SMTP AUTH tests (agent/auth/smtp_auth_probe.h); never fails.
  virtual AuthProbeReport ProbeAuth(const SmtpEndpoint& endpoint, const AuthProbeRequest& request,
                                    const ProbeOptions& options) = 0;
};

class RealRelayChecker : public RelayChecker {
 public:
  ProbeReport Probe(const SmtpEndpoint& endpoint, const std::vector<RelayTest>& tests,
                    const ProbeOptions& options) override {
    return RunRelayProbe(endpoint, tests, options);
  }
  absl::Status Greeting(const SmtpEndpoint& endpoint, const ProbeOptions& options) override {
    return CheckSmtpGreeting(endpoint, options);
  }
  AuthProbeReport ProbeAuth(const SmtpEndpoint& endpoint, const AuthProbeRequest& request,
                            const ProbeOptions& options) override {
    return RunAuthProbe(endpoint, request, options);
  }
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_PROBE_RELAY_CHECKER_H_
