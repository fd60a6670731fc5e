// Reading a state back from its stable name: the one mechanism behind every ParseX() of an enum
// whose XName() gives the names (rollout status, host phase, apply outcome, compliance states).
// The name is what the store keeps, the CLI prints and the wire's JSON shows; positions never
// leave the process, so reordering an enum cannot corrupt anything saved.
#ifndef RELAYGUARD_COMMON_ENUM_NAMES_H_
#define RELAYGUARD_COMMON_ENUM_NAMES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace relayguard {

// Calls f(value) for every value of the contiguous enum [first, last], in order.
template <typename Enum, typename F>
void ForEachEnumValue(Enum first, Enum last, F f) {
  for (int i = static_cast<int>(first); i <= static_cast<int>(last); ++i) f(static_cast<Enum>(i));
}

// The value of the contiguous enum [first, last] whose name(value) is `name`. InvalidArgument
// naming `what` ("rollout status"), the unknown name and every known one otherwise; callers add
// where the name came from (a table and row, a flag).
template <typename Enum, typename NameFn>
absl::StatusOr<Enum> ParseEnumName(absl::string_view name, absl::string_view what,
                                   NameFn name_of, Enum first, Enum last) {
  std::string known;
  for (int i = static_cast<int>(first); i <= static_cast<int>(last); ++i) {
    const Enum value = static_cast<Enum>(i);
    const absl::string_view candidate = name_of(value);
    if (candidate == name) return value;
    absl::StrAppend(&known, known.empty() ? "" : ", ", "\"", candidate, "\"");
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown ", what, " \"", name, "\" (expected one of ", known, ")"));
}

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_ENUM_NAMES_H_
