#include "agent/auth/ehlo_auth.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace relayguard::agent {
namespace {

// The text after "250-" / "250 " of each line but the first.
std::vector<std::string> Extensions(const std::string& ehlo_reply) {
  std::vector<std::string> lines = absl::StrSplit(ehlo_reply, '\n');
  std::vector<std::string> out;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].size() > 4) {
      out.emplace_back(absl::StripAsciiWhitespace(absl::string_view(lines[i]).substr(4)));
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> AuthMechanismsOf(const std::string& ehlo_reply) {
  std::vector<std::string> mechanisms;
  for (const std::string& extension : Extensions(ehlo_reply)) {
    if (extension.size() < 4 || !absl::StartsWithIgnoreCase(extension, "AUTH")) continue;
    if (extension.size() > 4 && extension[4] != ' ' && extension[4] != '=') continue;
    for (absl::string_view word :
         absl::StrSplit(absl::string_view(extension).substr(4), absl::ByAnyChar(" =\t"),
                        absl::SkipEmpty())) {
      std::string mechanism = absl::AsciiStrToUpper(word);
      if (std::find(mechanisms.begin(), mechanisms.end(), mechanism) == mechanisms.end()) {
        mechanisms.push_back(std::move(mechanism));
      }
    }
  }
  return mechanisms;
}

bool EhloHasKeyword(const std::string& ehlo_reply, const std::string& keyword) {
  for (const std::string& extension : Extensions(ehlo_reply)) {
    const std::string first = extension.substr(0, extension.find(' '));
    if (absl::EqualsIgnoreCase(first, keyword)) return true;
  }
  return false;
}

}  // namespace relayguard::agent
