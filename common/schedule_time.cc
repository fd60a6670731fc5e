#include "common/schedule_time.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace relayguard::schedule_internal {

// The text as it appears in messages: in double quotes, control characters escaped so that a
// message never spans lines.
std::string Quote(absl::string_view text) {
  return absl::StrCat("\"", absl::CHexEscape(text), "\"");
}

// What control character `text` holds, for messages ("a line break"); nullopt if none.
std::optional<absl::string_view> ControlCharacter(absl::string_view text) {
  for (char c : text) {
    if (c == '\n' || c == '\r') return "a line break";
    if (c == '\t') return "a tab";
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return "a control character";
  }
  return std::nullopt;
}

bool AllDigits(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

// Sunday = 0 .. Saturday = 6, as cron counts.
int CronWeekday(absl::CivilDay day) {
  // absl::Weekday counts from Monday = 0.
  return (static_cast<int>(absl::GetWeekday(day)) + 1) % 7;
}

int64_t ToSeconds(absl::CivilSecond civil, absl::TimeZone zone) {
  return absl::ToUnixSeconds(absl::FromCivil(civil, zone));
}

absl::CivilSecond ToCivil(int64_t at, absl::TimeZone zone) {
  return zone.At(absl::FromUnixSeconds(at)).cs;
}

absl::StatusOr<absl::TimeZone> LoadZone(const std::string& name) {
  if (name.empty()) {
    return absl::InvalidArgumentError(
        "the time zone is empty; use an IANA name such as \"UTC\" or \"Europe/Berlin\"");
  }
  const bool plain = std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' ||
           c == '+';
  });
  absl::TimeZone zone;
  if (!plain || name.front() == '/' || absl::StrContains(name, "..") ||
      !absl::LoadTimeZone(name, &zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone ", Quote(name),
                     " (not in the system's tzdata; use an IANA name such as \"UTC\" or "
                     "\"Europe/Berlin\")"));
  }
  return zone;
}

}  // namespace relayguard::schedule_internal
