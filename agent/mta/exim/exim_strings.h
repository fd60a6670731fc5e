// String helpers on std::string_view for the Exim editors. In the abseil this builds against,
// absl::string_view is a type of its own, which absl::StrCat and the absl::Strip* family take
// instead of std::string_view.
#ifndef RELAYGUARD_AGENT_MTA_EXIM_EXIM_STRINGS_H_
#define RELAYGUARD_AGENT_MTA_EXIM_EXIM_STRINGS_H_

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace relayguard::agent::exim {

// White space here is ' ', '\t', '\r', '\n', '\f' and '\v'.
std::string_view StripSpace(std::string_view v);
std::string_view StripLeadingSpace(std::string_view v);
std::string_view StripTrailingSpace(std::string_view v);
bool StartsWith(std::string_view v, std::string_view prefix);
bool Contains(std::string_view v, std::string_view part);
bool ConsumePrefix(std::string_view* v, std::string_view prefix);
bool ConsumeSuffix(std::string_view* v, std::string_view suffix);

inline absl::string_view ToAbsl(std::string_view v) {
  return absl::string_view(v.data(), v.size());
}
template <typename T>
const T& ToAbsl(const T& v) {
  return v;
}
// absl::StrCat that also takes std::string_view.
template <typename... T>
std::string Cat(const T&... parts) {
  return absl::StrCat(ToAbsl(parts)...);
}

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_EXIM_STRINGS_H_
