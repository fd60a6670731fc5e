#include "common/duration.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace relayguard {

absl::StatusOr<int64_t> ParseDurationSeconds(absl::string_view text) {
  constexpr int64_t kMaxSeconds = 10 * 366 * 86400;
  const size_t digits = text.find_first_not_of("0123456789");
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text.substr(0, 40), "\" is not a duration: ", why, " (e.g. 90s, 10m, 24h, 7d)"));
  };
  if (digits == 0 || text.empty()) return bad("it does not start with a number");
  if (digits == absl::string_view::npos) return bad("it has no unit (s, m, h or d)");
  const absl::string_view unit = text.substr(digits);
  int64_t scale = 0;
  if (unit == "s") scale = 1;
  if (unit == "m") scale = 60;
  if (unit == "h") scale = 3600;
  if (unit == "d") scale = 86400;
  if (scale == 0) return bad(absl::StrCat("unknown unit \"", unit.substr(0, 10), "\""));
  int64_t n = 0;
  if (digits > 9 || !absl::SimpleAtoi(text.substr(0, digits), &n) || n * scale > kMaxSeconds) {
    return bad("longer than ten years");
  }
  return n * scale;
}

absl::StatusOr<int64_t> ParseSince(absl::string_view text, int64_t now) {
  if (!text.empty() && text.front() >= '0' && text.front() <= '9' &&
      text.find_first_of("-T:") == absl::string_view::npos) {
    absl::StatusOr<int64_t> span = ParseDurationSeconds(text);
    if (!span.ok()) return span.status();
    return now - *span;
  }
  absl::Time at;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &at, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text.substr(0, 60),
                     "\" is neither a duration back from now (10m, 24h, 7d) nor an RFC 3339 time "
                     "(2026-12-05T10:00:00Z): ",
                     error));
  }
  return absl::ToUnixSeconds(at);
}

}  // namespace relayguard
