// PLACEHOLDER until the SMTP AUTH probe lands (issue 13, in progress): always inconclusive.
#include "agent/auth/smtp_auth_probe.h"

namespace relayguard::agent {

const char* BogusAuthName(BogusAuth kind) {
  switch (kind) {
    case BogusAuth::kWrongPassword:
      return "wrong-password";
    case BogusAuth::kUnknownUser:
      return "unknown-user";
    case BogusAuth::kRandomPlainBlob:
      return "random-plain-blob";
    case BogusAuth::kMalformedPlain:
      return "malformed-plain";
    case BogusAuth::kUnsupportedMech:
      return "unsupported-mechanism";
  }
  return "?";
}

AuthProbeReport RunAuthProbe(const SmtpEndpoint& endpoint, const AuthProbeRequest&,
                             const ProbeOptions&) {
  AuthProbeReport report;
  report.endpoint = endpoint;
  report.inconclusive = true;
  report.error = "the SMTP AUTH probe is not built yet";
  return report;
}

std::vector<std::string> AuthProblems(const AuthSettings&, const AuthProbeReport& report) {
  if (report.inconclusive) return {report.error};
  return {};
}

bool AcceptsBogusAuth(const AuthProbeReport&) { return false; }

}  // namespace relayguard::agent
