// Passwords of dashboard accounts: argon2id hashes in the PHC string format (what the store
// keeps), and the rules for user names and passwords. Nothing here logs or echoes a password.
#ifndef RELAYGUARD_CONTROLLER_AUTH_PASSWORD_HASH_H_
#define RELAYGUARD_CONTROLLER_AUTH_PASSWORD_HASH_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace relayguard::controller {

// argon2id with OWASP's minimum: 19 MiB of memory, 2 passes, 1 lane; 16-byte salt, 32-byte hash.
inline constexpr uint32_t kArgon2MemoryKiB = 19456;
inline constexpr uint32_t kArgon2Passes = 2;
inline constexpr uint32_t kArgon2Lanes = 1;
inline constexpr size_t kMinPasswordBytes = 10;
inline constexpr size_t kMaxPasswordBytes = 1024;

// "$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH" with a fresh random salt (getrandom). Internal when
// no randomness or memory could be had. Check the password with CheckPassword first.
absl::StatusOr<std::string> HashPassword(absl::string_view password);

// True when `password` matches `encoded` (a HashPassword result). False for a wrong password and
// for anything that is not an argon2id PHC string; never throws.
bool VerifyPassword(absl::string_view password, const std::string& encoded);

// OK for 10..1024 bytes of valid UTF-8 without control characters; otherwise InvalidArgument
// saying what is wrong (never echoing the password), ending "nothing was changed".
absl::Status CheckPassword(absl::string_view password);

// OK for [a-z0-9][a-z0-9._-]{0,63}; otherwise InvalidArgument naming the rule.
absl::Status CheckUserName(absl::string_view name);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_AUTH_PASSWORD_HASH_H_
