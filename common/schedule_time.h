// What cron schedules (cron.h) and maintenance windows (window.h) share: loading a time zone,
// civil time <-> seconds since the epoch, day names, and quoting text for messages.
#ifndef RELAYGUARD_COMMON_SCHEDULE_TIME_H_
#define RELAYGUARD_COMMON_SCHEDULE_TIME_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace relayguard::schedule_internal {

// "Never": a schedule or window that cannot fire again (Parse refuses those).
inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

inline constexpr absl::string_view kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// The text as it appears in messages: in double quotes, control characters escaped so that a
// message never spans lines.
std::string Quote(absl::string_view text);

// What control character `text` holds, for messages ("a line break"); nullopt if none.
std::optional<absl::string_view> ControlCharacter(absl::string_view text);

bool AllDigits(absl::string_view text);

// Sunday = 0 .. Saturday = 6, as cron counts.
int CronWeekday(absl::CivilDay day);

int64_t ToSeconds(absl::CivilSecond civil, absl::TimeZone zone);
absl::CivilSecond ToCivil(int64_t at, absl::TimeZone zone);

// An IANA time zone from the system's tzdata; InvalidArgument naming it otherwise. IANA names
// only: no absolute paths, ".." or "file:" that would make absl read other files.
absl::StatusOr<absl::TimeZone> LoadZone(const std::string& name);

}  // namespace relayguard::schedule_internal

#endif  // RELAYGUARD_COMMON_SCHEDULE_TIME_H_
