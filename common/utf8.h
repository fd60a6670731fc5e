// UTF-8 decoding for the checks of one-line texts people type (operator reasons, passwords).
#ifndef RELAYGUARD_COMMON_UTF8_H_
#define RELAYGUARD_COMMON_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace relayguard {

// The code point starting at `s[*i]`, advancing `*i` past it; nullopt for bytes that are not
// UTF-8 (bad lead or continuation byte, truncated, overlong, surrogate, above U+10FFFF).
std::optional<uint32_t> NextCodePoint(absl::string_view s, size_t* i);

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators: what must not be in a
// one-line text.
bool IsLineBreakingOrControl(uint32_t cp);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_UTF8_H_
