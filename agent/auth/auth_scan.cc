#include "agent/auth/auth_scan.h"

#include "absl/strings/str_cat.h"

namespace relayguard::agent {

std::vector<BogusAuth> ScanBogusAuths() {
  return {BogusAuth::kUnknownUser, BogusAuth::kMalformedPlain, BogusAuth::kUnsupportedMech};
}

std::vector<ScanExtraTest> BogusAuthScanResults(const AuthProbeReport& report,
                                                const std::string& sender,
                                                const std::string& recipient) {
  std::vector<ScanExtraTest> out;
  if (report.inconclusive) {
    // The probe could not talk to the server: one inconclusive row per test.
    for (BogusAuth kind : ScanBogusAuths()) {
      ScanExtraTest& e = out.emplace_back();
      e.result.test = {absl::StrCat("bogus-auth-", BogusAuthName(kind)), sender, recipient};
      e.result.detail = report.error;
      e.result.exchanges = report.exchanges;
    }
    return out;
  }
  for (const AuthAttempt& a : report.bogus) {
    ScanExtraTest& e = out.emplace_back();
    e.result.test = {absl::StrCat("bogus-auth-", a.name), sender, recipient};
    e.result.exchanges = a.exchanges;
    e.result.tls = a.tls;
    if (a.authenticated || a.relayed) {
      e.reason = absl::StrCat("accepts bogus AUTH (", a.name, ")");
      e.result.verdict = ProbeVerdict::kRelayAccepted;
      e.result.detail = absl::StrCat(e.reason, ": ", a.detail);
    } else {
      e.result.verdict = a.inconclusive ? ProbeVerdict::kInconclusive : ProbeVerdict::kRefused;
      e.result.detail = a.detail;
    }
  }
  return out;
}

ScanExtraTests BogusAuthScanTests(const std::string& sender, const std::string& recipient) {
  return [sender, recipient](const SmtpEndpoint& endpoint, const ProbeOptions& options) {
    AuthProbeRequest request;
    request.sender = sender;
    request.foreign_recipient = recipient;
    request.bogus = ScanBogusAuths();
    return BogusAuthScanResults(RunAuthProbe(endpoint, request, options), sender, recipient);
  };
}

}  // namespace relayguard::agent
