// PLACEHOLDER until the backend checks land (issue 13, in progress): every check refuses.
#include "agent/auth/sasl_backend.h"

namespace relayguard::agent {

absl::Status CheckAccess(const std::string&, const MtaUser&, bool) {
  return absl::UnimplementedError("SASL backend checks are not built yet");
}
absl::StatusOr<BackendAnswer> CheckDovecotAuth(const std::string&,
                                               const std::vector<AuthMechanism>&,
                                               const SmokeCredential&, const std::string&,
                                               std::chrono::milliseconds) {
  return absl::UnimplementedError("SASL backend checks are not built yet");
}
absl::StatusOr<BackendAnswer> CheckSaslauthd(const std::string&, const SmokeCredential&,
                                             std::chrono::milliseconds) {
  return absl::UnimplementedError("SASL backend checks are not built yet");
}
absl::StatusOr<BackendAnswer> CheckSaslBackend(const AuthSettings&, const SmokeCredential&,
                                               const MtaUser&, std::chrono::milliseconds) {
  return absl::UnimplementedError("SASL backend checks are not built yet");
}

}  // namespace relayguard::agent
