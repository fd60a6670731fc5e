// The SMTP AUTH half of relayguard's proof (policy.auth). Before a change: the smoke credential
// and the backend (MtaDriver::PreflightAuth). After it, on every listener the policy selects,
// AUTH as a client from the untrusted source sees it: offered (only after STARTTLS when
// tls_only), the smoke credential authenticates and relays, bogus AUTH is refused and relaying
// stays refused after it. Shared by the apply transaction and the compliance check.
#ifndef RELAYGUARD_AGENT_APPLY_AUTH_PROOF_H_
#define RELAYGUARD_AGENT_APPLY_AUTH_PROOF_H_

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/auth/smoke_credential.h"
#include "agent/mta/listener.h"
#include "agent/mta/mta_driver.h"
#include "agent/probe/relay_checker.h"
#include "common/clock.h"

namespace relayguard::agent {

// The credential of `auth`, with the playbook line that names the file in the message.
absl::StatusOr<SmokeCredential> ReadAuthCredential(const AuthSettings& auth);

// The preflight: the credential, then the driver's backend checks against `staged` (the
// rendered files, or the live ones for a check). FailedPrecondition with the reason.
absl::StatusOr<SmokeCredential> PreflightAuthBackend(MtaDriver& driver, const Policy& policy,
                                                     const FileContents& staged,
                                                     const std::string& stage_dir,
                                                     BackendAnswer* answer);

// What the AUTH probes found on the selected listeners.
struct AuthFinding {
  std::vector<std::string> problems;  // every problem, one line each naming the listener
  bool accepts_bogus = false;   // a bogus AUTH was accepted or relayed: strangers can relay
  bool smoke_refused = false;   // the backend refused the smoke credential (or AUTH failed)
  bool inconclusive = false;    // a listener could not be asked
  bool ok() const { return problems.empty(); }
};

// The bogus attempts of a verification: the smoke user with a wrong password, and a random
// PLAIN blob (Nessus 10262's question: does AUTH accept anything?).
std::vector<BogusAuth> VerificationBogusAuth();

// Probes every non-internal listener of `listeners` that OffersAuth (filling its `auth`), in
// two passes so Dovecot's per-IP failure penalty is paid once and never delays a good AUTH:
// first the smoke AUTH on every listener (retried until `deadline` while a reload settles), then
// every bogus attempt on every listener at once.
AuthFinding ProveAuth(RelayChecker& checker, Clock& clock, const Policy& policy,
                      const SmokeCredential& credential,
                      std::chrono::steady_clock::time_point deadline,
                      std::vector<ListenerResult>& listeners);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_APPLY_AUTH_PROOF_H_
