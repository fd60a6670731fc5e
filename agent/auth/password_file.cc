#include "agent/auth/password_file.h"

#include <crypt.h>

#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace relayguard::agent {

std::optional<std::string> FindPasswordHash(const std::string& text, const std::string& username) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos || line.substr(0, colon) != username) continue;
    absl::string_view rest = absl::StripLeadingAsciiWhitespace(line.substr(colon + 1));
    if (rest.size() > 1 && rest.front() == '{') {
      const size_t close = rest.find('}');
      if (close != absl::string_view::npos) rest.remove_prefix(close + 1);
    }
    return std::string(rest.substr(0, rest.find(':')));
  }
  return std::nullopt;
}

bool CryptMatches(const std::string& password, const std::string& hash) {
  if (hash.empty() || hash[0] == '*' || hash[0] == '!') return false;
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* out = crypt_r(password.c_str(), hash.c_str(), data.get());
  const bool match = out != nullptr && out[0] != '*' && hash == out;
  std::memset(data.get(), 0, sizeof(crypt_data));  // it held the password
  return match;
}

}  // namespace relayguard::agent
