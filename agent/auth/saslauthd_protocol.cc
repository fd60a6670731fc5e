#include "agent/auth/saslauthd_protocol.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace relayguard::agent {

absl::StatusOr<std::string> SaslauthdRequest(const std::string& login,
                                             const std::string& password,
                                             const std::string& service,
                                             const std::string& realm) {
  std::string out;
  for (const std::string* field : {&login, &password, &service, &realm}) {
    if (field->size() > 0xffff) {
      return absl::InvalidArgumentError(
          absl::StrCat("a saslauthd request field is ", field->size(), " bytes; at most 65535"));
    }
    out.push_back(static_cast<char>((field->size() >> 8) & 0xff));
    out.push_back(static_cast<char>(field->size() & 0xff));
    out += *field;
  }
  return out;
}

SaslauthdUser SplitSaslauthdUser(const std::string& username) {
  const size_t at = username.rfind('@');
  if (at == std::string::npos) return {username, ""};
  return {username.substr(0, at), username.substr(at + 1)};
}

size_t SaslauthdLength(const std::string& header) {
  if (header.size() < 2) return 0;
  return (static_cast<size_t>(static_cast<unsigned char>(header[0])) << 8) |
         static_cast<unsigned char>(header[1]);
}

bool SaslauthdAccepted(const std::string& answer) { return answer.rfind("OK", 0) == 0; }

}  // namespace relayguard::agent
