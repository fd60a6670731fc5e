// Cyrus saslauthd's mux protocol (what libsasl's pwcheck_method saslauthd speaks), as pure
// functions: the request is four counted strings, the answer one counted string.
#ifndef RELAYGUARD_AGENT_AUTH_SASLAUTHD_PROTOCOL_H_
#define RELAYGUARD_AGENT_AUTH_SASLAUTHD_PROTOCOL_H_

#include <string>

#include "absl/status/statusor.h"

namespace relayguard::agent {

// login, password, service, realm, each as a 2-byte big-endian length and the bytes.
// InvalidArgument when one is longer than 65535 bytes. Holds the secret: never log it.
absl::StatusOr<std::string> SaslauthdRequest(const std::string& login,
                                             const std::string& password,
                                             const std::string& service,
                                             const std::string& realm);

// libsasl's split of a user name "smoke@lab.test" into login "smoke" and realm "lab.test" (at the
// last '@'); no '@': the whole name and an empty realm.
struct SaslauthdUser {
  std::string login;
  std::string realm;
};
SaslauthdUser SplitSaslauthdUser(const std::string& username);

// The length of a counted string from its 2-byte header.
size_t SaslauthdLength(const std::string& header);

// Whether the answer text ("OK", "OK \"Success.\"", "NO \"authentication failed\"") accepts.
bool SaslauthdAccepted(const std::string& answer);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_AUTH_SASLAUTHD_PROTOCOL_H_
