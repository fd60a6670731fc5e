// Secrets for sessions: random bytes from the kernel (getrandom), tokens a browser can carry
// in a cookie or a header, and the hash under which the store keeps a session token (so that a
// copy of the database opens no session).
#ifndef RELAYGUARD_CONTROLLER_AUTH_TOKENS_H_
#define RELAYGUARD_CONTROLLER_AUTH_TOKENS_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace relayguard::controller {

// `n` bytes from getrandom(2); Internal when the kernel gives none.
absl::StatusOr<std::string> RandomBytes(size_t n);

// 32 random bytes, base64url without padding (43 characters of A-Z a-z 0-9 - _).
absl::StatusOr<std::string> NewToken();

// SHA-256 of `token`, lower-case hex (64 characters).
std::string TokenHash(absl::string_view token);

// Compares two tokens in time that depends only on their lengths (CSRF token checks).
bool TokensEqual(absl::string_view a, absl::string_view b);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_AUTH_TOKENS_H_
