#include "controller/rollout/operator_reason.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "common/utf8.h"

namespace relayguard::controller {
namespace {

std::string Describe(uint32_t cp) {
  switch (cp) {
    case '\n': return "a newline";
    case '\r': return "a carriage return";
    case '\t': return "a tab";
    case 0x2028: return "a line separator (U+2028)";
    case 0x2029: return "a paragraph separator (U+2029)";
    default: return absl::StrFormat("the control character U+%04X", cp);
  }
}


}  // namespace

absl::Status CheckReason(absl::string_view reason, absl::string_view field) {
  const auto refuse = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " ", what, "; a reason is one line of text of at most ", kMaxReasonChars,
        " characters — nothing was changed"));
  };
  size_t chars = 0;
  for (size_t i = 0; i < reason.size();) {
    const size_t at = i;
    std::optional<uint32_t> cp = NextCodePoint(reason, &i);
    ++chars;
    if (!cp) return refuse(absl::StrCat("is not valid UTF-8 (byte ", at + 1, ")"));
    if (IsLineBreakingOrControl(*cp)) {
      return refuse(absl::StrCat("contains ", Describe(*cp), " (character ", chars, ")"));
    }
  }
  if (chars > kMaxReasonChars) {
    return refuse(absl::StrCat("is too long: ", chars, " characters"));
  }
  return absl::OkStatus();
}

}  // namespace relayguard::controller
