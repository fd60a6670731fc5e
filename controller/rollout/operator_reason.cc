#include "controller/rollout/operator_reason.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace relayguard::controller {
namespace {

// The code point starting at `s[*i]`, advancing `*i` past it; nullopt for bytes that are not
// UTF-8 (bad lead or continuation byte, truncated, overlong, surrogate, above U+10FFFF).
std::optional<uint32_t> NextCodePoint(absl::string_view s, size_t* i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(*i);
  if (lead < 0x80) {
    ++*i;
    return lead;
  }
  size_t len = 0;
  uint32_t cp = 0, min = 0;
  if ((lead & 0xE0) == 0xC0) {
    len = 2, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    len = 3, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    len = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (*i + len > s.size()) return std::nullopt;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(*i + k) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(*i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  *i += len;
  return cp;
}

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

bool IsControl(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
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
    if (IsControl(*cp)) {
      return refuse(absl::StrCat("contains ", Describe(*cp), " (character ", chars, ")"));
    }
  }
  if (chars > kMaxReasonChars) {
    return refuse(absl::StrCat("is too long: ", chars, " characters"));
  }
  return absl::OkStatus();
}

}  // namespace relayguard::controller
