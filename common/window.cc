#include "common/window.h"

#include <algorithm>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/schedule_time.h"
#include "common/status_macros.h"

// Windows open and close at the instants absl::FromCivil gives their local times (see cron.cc
// on daylight saving time).

namespace relayguard {
namespace {

// Cron and windows share this vocabulary (schedule_time.h), under their own names.
using namespace schedule_internal;  // NOLINT(build/namespaces)

std::optional<int> DayNumber(absl::string_view name) {
  for (int i = 0; i < 7; ++i) {
    if (absl::EqualsIgnoreCase(name, kDayNames[i])) return i;
  }
  return std::nullopt;
}

// "*", "daily", "sat", "mon-fri", "fri-mon" (ranges wrap around the week), "sat,sun": the
// weekday bits (bit 0 = Sunday). The errors here and below are the part of the message after
// "maintenance window \"TEXT\": ", which MaintenanceWindow::Parse adds.
absl::StatusOr<uint8_t> ParseWindowDays(absl::string_view text) {
  if (text == "*" || absl::EqualsIgnoreCase(text, "daily")) return 0x7f;
  uint8_t bits = 0;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    if (item.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("empty item in the day list ", Quote(text)));
    }
    const std::vector<absl::string_view> ends = absl::StrSplit(item, absl::MaxSplits('-', 1));
    const std::optional<int> first = DayNumber(ends[0]);
    const std::optional<int> last = ends.size() == 2 ? DayNumber(ends[1]) : first;
    if (!first || !last) {
      return absl::InvalidArgumentError(absl::StrCat(
          Quote(item), " is not a day (sun..sat), a range such as mon-fri, \"*\" or daily"));
    }
    for (int d = *first;; d = (d + 1) % 7) {
      bits |= 1 << d;
      if (d == *last) break;
    }
  }
  return bits;
}

// "HH:MM" (or "H:MM") as minutes after midnight; "24:00" only when `is_end`.
absl::StatusOr<int> ParseClock(absl::string_view text, bool is_end) {
  const size_t colon = text.find(':');
  const absl::string_view hh = text.substr(0, colon);
  const absl::string_view mm =
      colon == absl::string_view::npos ? absl::string_view() : text.substr(colon + 1);
  int hour = 0, minute = 0;
  if (hh.size() > 2 || mm.size() != 2 || !AllDigits(hh) || !AllDigits(mm) ||
      !absl::SimpleAtoi(hh, &hour) || !absl::SimpleAtoi(mm, &minute)) {
    return absl::InvalidArgumentError(absl::StrCat(Quote(text), " is not a time HH:MM"));
  }
  if (hour == 24 && minute == 0 && is_end) return 24 * 60;
  if (hour > 23) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hour ", hour, " is out of range 0..23", hour == 24 ? " (only the end may be 24:00)" : ""));
  }
  if (minute > 59) {
    return absl::InvalidArgumentError(absl::StrCat("minute ", minute, " is out of range 0..59"));
  }
  return hour * 60 + minute;
}

// "HH:MM-HH:MM" as (start, end) minutes; an end equal to the start is refused as an empty
// window (a whole day is "00:00-24:00"), so a typo does not silently become 24 hours.
absl::StatusOr<std::pair<int, int>> ParseWindowTimes(absl::string_view text) {
  const std::vector<absl::string_view> ends = absl::StrSplit(text, '-');
  if (ends.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(text), " is not a time range HH:MM-HH:MM"));
  }
  ASSIGN_OR_RETURN(const int start, ParseClock(ends[0], false));
  ASSIGN_OR_RETURN(const int end, ParseClock(ends[1], true));
  if (start == end) {
    return absl::InvalidArgumentError(absl::StrCat("empty window (it ends when it starts, at ",
                                                   ends[0],
                                                   "); for a whole day write 00:00-24:00"));
  }
  return std::make_pair(start, end);
}

}  // namespace

absl::StatusOr<MaintenanceWindow> MaintenanceWindow::Parse(const std::string& text,
                                                           const std::string& time_zone) {
  MaintenanceWindow w;
  w.text_ = text;
  ASSIGN_OR_RETURN(w.zone_, LoadZone(time_zone));
  const std::vector<absl::string_view> words = absl::StrSplit(text, ' ', absl::SkipEmpty());
  absl::Status problem;
  if (std::optional<absl::string_view> control = ControlCharacter(text)) {
    problem =
        absl::InvalidArgumentError(absl::StrCat("contains ", *control, "; write it on one line"));
  } else if (words.empty()) {
    problem = absl::InvalidArgumentError(
        "is empty; write \"DAYS HH:MM-HH:MM\", e.g. \"sat,sun 02:00-05:00\"");
  } else if (words.size() == 1) {
    problem =
        absl::InvalidArgumentError("expected \"DAYS HH:MM-HH:MM\", e.g. \"mon-fri 22:00-02:00\"");
  } else {
    // Spaces around the dash ("sat 02:00 - 05:00") are harmless.
    const std::string times =
        absl::StrJoin(std::vector<absl::string_view>(words.begin() + 1, words.end()), "");
    absl::StatusOr<uint8_t> days = ParseWindowDays(words[0]);
    absl::StatusOr<std::pair<int, int>> minutes =
        days.ok() ? ParseWindowTimes(times) : days.status();
    if (minutes.ok()) {
      w.weekdays_ = *days;
      std::tie(w.start_min_, w.end_min_) = *minutes;
    }
    problem = minutes.status();
  }
  if (!problem.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("maintenance window ", Quote(text), ": ", problem.message()));
  }
  return w;
}

bool MaintenanceWindow::Contains(int64_t at) const {
  const int length = end_min_ > start_min_ ? end_min_ - start_min_ : end_min_ + 1440 - start_min_;
  const absl::CivilDay today(ToCivil(at, zone_));
  // A window lasts at most a day, so only one that opened yesterday or today can hold `at`.
  for (absl::CivilDay day : {today - 1, today}) {
    if (!((weekdays_ >> CronWeekday(day)) & 1)) continue;
    const absl::CivilSecond start = absl::CivilSecond(day) + start_min_ * 60;
    if (ToSeconds(start, zone_) <= at && at < ToSeconds(start + length * 60, zone_)) {
      return true;
    }
  }
  return false;
}

int64_t MaintenanceWindow::NextOpening(int64_t after) const {
  const absl::CivilDay today(ToCivil(after, zone_));
  // Parse guarantees at least one weekday, so one of the next eight days opens.
  for (absl::CivilDay day = today - 1; day <= today + 8; ++day) {
    if (!((weekdays_ >> CronWeekday(day)) & 1)) continue;
    const int64_t start = ToSeconds(absl::CivilSecond(day) + start_min_ * 60, zone_);
    // A window whose hours a DST change skips that day does not open then (found by
    // fuzz/schedule_fuzz: "* 02:00-02:30" in Europe/Berlin on the last Sunday of March).
    if (start > after && Contains(start)) return start;
  }
  return kNever;
}

bool InAnyWindow(const std::vector<MaintenanceWindow>& windows, int64_t at) {
  if (windows.empty()) return true;
  return std::any_of(windows.begin(), windows.end(),
                     [at](const MaintenanceWindow& w) { return w.Contains(at); });
}

int64_t NextWindowOpening(const std::vector<MaintenanceWindow>& windows, int64_t at) {
  if (windows.empty()) return 0;
  int64_t next = kNever;
  for (const MaintenanceWindow& w : windows) next = std::min(next, w.NextOpening(at));
  return next;
}

}  // namespace relayguard
