#include "controller/auth/password_hash.h"

#include <argon2.h>

#include <optional>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "controller/auth/tokens.h"

namespace relayguard::controller {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
constexpr char kPrefix[] = "$argon2id$v=19$";



}  // namespace

absl::StatusOr<std::string> HashPassword(absl::string_view password) {
  ASSIGN_OR_RETURN(std::string salt, RandomBytes(kSaltBytes));
  const size_t encoded_len = argon2_encodedlen(kArgon2Passes, kArgon2MemoryKiB, kArgon2Lanes,
                                               kSaltBytes, kHashBytes, Argon2_id);
  std::vector<char> encoded(encoded_len);
  const int rc = argon2id_hash_encoded(kArgon2Passes, kArgon2MemoryKiB, kArgon2Lanes,
                                       password.data(), password.size(), salt.data(), salt.size(),
                                       kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return absl::InternalError(
        absl::StrCat("hashing a password with argon2id failed: ", argon2_error_message(rc)));
  }
  return std::string(encoded.data());
}

bool VerifyPassword(absl::string_view password, const std::string& encoded) {
  // Only our own format: anything else (another algorithm, a truncated or hand-edited row)
  // never matches, and its parameters are never handed to the library.
  if (encoded.rfind(kPrefix, 0) != 0 || encoded.find('\0') != std::string::npos) return false;
  if (password.size() > kMaxPasswordBytes) return false;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

absl::Status CheckPassword(absl::string_view password) {
  const auto refuse = [](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the password ", what, "; a password is ", kMinPasswordBytes, " to ", kMaxPasswordBytes,
        " bytes of UTF-8 text without control characters — nothing was changed"));
  };
  if (password.size() < kMinPasswordBytes) {
    return refuse(absl::StrCat("is too short: ", password.size(), " bytes"));
  }
  if (password.size() > kMaxPasswordBytes) {
    return refuse(absl::StrCat("is too long: ", password.size(), " bytes"));
  }
  size_t chars = 0;
  for (size_t i = 0; i < password.size();) {
    const size_t at = i;
    std::optional<uint32_t> cp = NextCodePoint(password, &i);
    ++chars;
    if (!cp) return refuse(absl::StrCat("is not valid UTF-8 (byte ", at + 1, ")"));
    // The character's position and kind, never its value: a password is not echoed.
    if (IsLineBreakingOrControl(*cp))
      return refuse(absl::StrCat("has a control character (character ", chars, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckUserName(absl::string_view name) {
  const auto lead_ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  const auto rest_ok = [&](char c) { return lead_ok(c) || c == '.' || c == '_' || c == '-'; };
  bool ok = !name.empty() && name.size() <= 64 && lead_ok(name[0]);
  for (size_t i = 1; ok && i < name.size(); ++i) ok = rest_ok(name[i]);
  if (ok) return absl::OkStatus();
  // A name that breaks the rule may hold anything; show it escaped and cut.
  return absl::InvalidArgumentError(absl::StrCat(
      "user name \"", absl::CHexEscape(name.substr(0, 80)), name.size() > 80 ? "..." : "",
      "\" is not valid: 1 to 64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter "
      "or digit — nothing was changed"));
}

}  // namespace relayguard::controller
