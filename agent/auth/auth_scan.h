// The bogus SMTP AUTH tests of `relayguardctl scan --auth`, as extra tests of the relay scan: no
// credential is needed. A server that answers 235 to one of them, or accepts the foreign RCPT
// after refusing it, is relaying ("accepts bogus AUTH (<test>)"), as Nessus 10262 reports.
#ifndef RELAYGUARD_AGENT_AUTH_AUTH_SCAN_H_
#define RELAYGUARD_AGENT_AUTH_AUTH_SCAN_H_

#include <string>
#include <vector>

#include "agent/auth/smtp_auth_probe.h"
#include "agent/probe/relay_scan.h"

namespace relayguard::agent {

// unknown-user (wrong credentials for a random user), malformed-plain, unsupported-mechanism.
std::vector<BogusAuth> ScanBogusAuths();

// One extra scan test per bogus attempt of `report`: named "bogus-auth-<test>", MAIL FROM
// `sender`, RCPT TO `recipient`; relay-accepted (reason "accepts bogus AUTH (<test>)") when it
// authenticated or relayed, inconclusive when it could not be tried (or the whole probe was),
// refused otherwise. Pure.
std::vector<ScanExtraTest> BogusAuthScanResults(const AuthProbeReport& report,
                                                const std::string& sender,
                                                const std::string& recipient);

// ScanOptions::extra_tests for --auth: RunAuthProbe with ScanBogusAuths() and no credential,
// over TLS when the server offers STARTTLS, from the scan's source.
ScanExtraTests BogusAuthScanTests(const std::string& sender, const std::string& recipient);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_AUTH_AUTH_SCAN_H_
