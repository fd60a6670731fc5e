#include "common/cron.h"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/schedule_time.h"
#include "common/status_macros.h"

// Daylight saving time. Cron fields name local civil times; each civil time fires at most once,
// at the instant absl::FromCivil gives it:
//   - a local time skipped by a spring-forward transition ("30 2 * * *" in Europe/Berlin on
//     2026-03-29, when 02:00 jumps to 03:00) fires at the transition instant (03:00 CEST), once,
//     however many skipped times match;
//   - a local time repeated by an autumn transition fires at its first occurrence only (02:30
//     CEST on 2026-10-25, not again at 02:30 CET). A schedule firing every few minutes therefore
//     pauses for the repeated hour; "@every" counts real seconds and does not.

namespace relayguard {
namespace {

// Cron and windows share this vocabulary (schedule_time.h), under their own names.
using namespace schedule_internal;  // NOLINT(build/namespaces)

// The Gregorian calendar repeats every 400 years (146097 days, a whole number of weeks), so a
// civil pattern that matches nothing in 400 years matches nothing ever.
constexpr int kSearchYears = 401;
constexpr int64_t kMaxEverySeconds = 24 * 3600;

constexpr absl::string_view kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                             "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr absl::string_view kMonthLongNames[] = {"January",   "February", "March",    "April",
                                                 "May",       "June",     "July",     "August",
                                                 "September", "October",  "November", "December"};
constexpr int kMaxDaysInMonth[] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

// The smallest set bit of `mask` at or above `from`; -1 if none.
int NextBit(uint64_t mask, int from) {
  if (from >= 64) return -1;
  const uint64_t rest = mask & (~uint64_t{0} << from);
  return rest == 0 ? -1 : std::countr_zero(rest);
}

// The parsed fields of a cron expression; Schedule keeps a copy in its members.
struct CronFields {
  uint64_t seconds = 1, minutes = 0;
  uint32_t hours = 0, days = 0, months = 0;
  uint8_t weekdays = 0;
  bool dom_star = true, dow_star = true;
};

struct FieldSpec {
  absl::string_view name;
  int min, max;
  const absl::string_view* names;  // value min + i is names[i]; nullptr when numbers only
  int name_count;
  absl::string_view expected;  // what a value looks like, for messages
  bool sunday_is_7 = false;    // day of week: a range may end at Sunday as 7 ("sat-sun")
};

constexpr FieldSpec kSecond{"second", 0, 59, nullptr, 0, "a number"};
constexpr FieldSpec kMinute{"minute", 0, 59, nullptr, 0, "a number"};
constexpr FieldSpec kHour{"hour", 0, 23, nullptr, 0, "a number"};
constexpr FieldSpec kDayOfMonth{"day of month", 1, 31, nullptr, 0, "a number"};
constexpr FieldSpec kMonth{"month", 1, 12, kMonthNames, 12, "a month (1..12 or jan..dec)"};
constexpr FieldSpec kDayOfWeek{
    "day of week", 0, 7, kDayNames, 7, "a day of the week (0..7 or sun..sat)", true};

// One value of a field: a number in range or a name. The errors here and below are the part
// of the message after "field N (NAME): ", which ParseField adds.
absl::StatusOr<int> ParseValue(const FieldSpec& spec, absl::string_view text) {
  int value = 0;
  if (AllDigits(text)) {
    if (text.size() > 4 || !absl::SimpleAtoi(text, &value) || value < spec.min ||
        value > spec.max) {
      return absl::InvalidArgumentError(
          absl::StrCat(text, " is out of range ", spec.min, "..", spec.max));
    }
    return value;
  }
  for (int i = 0; i < spec.name_count; ++i) {
    if (absl::EqualsIgnoreCase(text, spec.names[i])) return spec.min + i;
  }
  return absl::InvalidArgumentError(absl::StrCat(Quote(text), " is not ", spec.expected));
}

absl::StatusOr<int> ParseStep(const FieldSpec& spec, absl::string_view item,
                              absl::string_view text) {
  if (text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(Quote(item), " has no step after \"/\""));
  }
  if (!AllDigits(text)) {
    return absl::InvalidArgumentError(absl::StrCat("step ", Quote(text), " is not a number"));
  }
  int step = 0;
  if (text.size() > 4 || !absl::SimpleAtoi(text, &step) || step > spec.max - spec.min) {
    return absl::InvalidArgumentError(
        absl::StrCat("step ", text, " is larger than the range ", spec.min, "..", spec.max));
  }
  if (step == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("step 0 in ", Quote(item), " must be at least 1"));
  }
  return step;
}

struct ValueRange {
  int lo = 0;
  int hi = 0;
};

// The values `base` (the part before any "/") names: "*", "a", "a-b".
absl::StatusOr<ValueRange> ParseBase(const FieldSpec& spec, absl::string_view base, bool stepped) {
  if (base == "*") return ValueRange{spec.min, spec.max};
  if (base.empty()) {
    return absl::InvalidArgumentError("a step needs a start before \"/\", e.g. \"*/5\"");
  }
  const size_t dash = base.find('-');
  if (dash == absl::string_view::npos) {
    ASSIGN_OR_RETURN(const int value, ParseValue(spec, base));
    return ValueRange{value, stepped ? spec.max : value};  // "a/n" runs from a to the maximum
  }
  const absl::string_view first = base.substr(0, dash), last = base.substr(dash + 1);
  if (first.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("range ", Quote(base), " has no start"));
  }
  if (last.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("range ", Quote(base), " has no end"));
  }
  if (absl::StrContains(last, '-')) {
    return absl::InvalidArgumentError(absl::StrCat(Quote(base), " is not a range a-b"));
  }
  ValueRange range;
  ASSIGN_OR_RETURN(range.lo, ParseValue(spec, first));
  ASSIGN_OR_RETURN(range.hi, ParseValue(spec, last));
  if (spec.sunday_is_7 && range.hi == 0 && range.lo > 0) range.hi = 7;
  if (range.lo > range.hi) {
    return absl::InvalidArgumentError(
        absl::StrCat("range ", Quote(base), " runs backwards; write it as two ranges, \"", first,
                     "-", spec.max, ",", spec.min, "-", last, "\""));
  }
  return range;
}

// One list item: "*", "a", "a-b", each optionally with "/n": the bits of its values.
absl::StatusOr<uint64_t> ParseItem(const FieldSpec& spec, absl::string_view item) {
  const size_t slash = item.find('/');
  const absl::string_view base = item.substr(0, slash);
  int step = 1;
  if (slash != absl::string_view::npos) {
    const absl::string_view step_text = item.substr(slash + 1);
    if (absl::StrContains(step_text, '/')) {
      return absl::InvalidArgumentError(absl::StrCat("more than one \"/\" in ", Quote(item)));
    }
    ASSIGN_OR_RETURN(step, ParseStep(spec, item, step_text));
  }
  ASSIGN_OR_RETURN(const ValueRange range, ParseBase(spec, base, slash != absl::string_view::npos));
  uint64_t bits = 0;
  for (int v = range.lo; v <= range.hi; v += step) bits |= uint64_t{1} << v;
  return bits;
}

// Field `number` (1-based, as written) as a bit set: bit v set when value v matches.
absl::StatusOr<uint64_t> ParseField(const FieldSpec& spec, int number, absl::string_view text) {
  uint64_t bits = 0;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    absl::StatusOr<uint64_t> item_bits =
        item.empty()
            ? absl::InvalidArgumentError(absl::StrCat("empty item in the list ", Quote(text)))
            : ParseItem(spec, item);
    if (!item_bits.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("field ", number, " (", spec.name, "): ", item_bits.status().message()));
    }
    bits |= *item_bits;
  }
  return bits;
}

absl::StatusOr<CronFields> ParseCronFields(const std::vector<absl::string_view>& words) {
  if (words.size() != 5 && words.size() != 6) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected 5 fields (MIN HOUR DOM MON DOW) or 6 (SEC MIN HOUR DOM MON DOW), "
                     "got ",
                     words.size()));
  }
  const size_t first = words.size() - 5;  // index of the minute field
  const int number = static_cast<int>(first) + 1;
  CronFields f;
  if (first == 1) {
    ASSIGN_OR_RETURN(f.seconds, ParseField(kSecond, 1, words[0]));
  }
  ASSIGN_OR_RETURN(f.minutes, ParseField(kMinute, number, words[first]));
  ASSIGN_OR_RETURN(uint64_t hours, ParseField(kHour, number + 1, words[first + 1]));
  ASSIGN_OR_RETURN(uint64_t days, ParseField(kDayOfMonth, number + 2, words[first + 2]));
  ASSIGN_OR_RETURN(uint64_t months, ParseField(kMonth, number + 3, words[first + 3]));
  ASSIGN_OR_RETURN(uint64_t weekdays, ParseField(kDayOfWeek, number + 4, words[first + 4]));
  f.hours = static_cast<uint32_t>(hours);
  f.days = static_cast<uint32_t>(days);
  f.months = static_cast<uint32_t>(months);
  f.weekdays = static_cast<uint8_t>((weekdays | (weekdays >> 7)) & 0x7f);  // 7 is Sunday too
  // Vixie cron: a field is unrestricted when its text starts with '*' (so "*/2" counts).
  f.dom_star = words[first + 2].front() == '*';
  f.dow_star = words[first + 4].front() == '*';
  return f;
}

bool DayMatches(const CronFields& f, absl::CivilDay day) {
  const bool dom = (f.days >> day.day()) & 1;
  const bool dow = (f.weekdays >> CronWeekday(day)) & 1;
  return f.dom_star || f.dow_star ? dom && dow : dom || dow;
}

// InvalidArgument when the fields of `expression` match no date at all. Exact: with
// either-match (both day fields restricted) any weekday occurs every month; with both-match a
// date that exists falls on every weekday over the years; so only a day of month that no chosen
// month has can make a schedule never fire.
absl::Status CheckFiresSometime(const CronFields& f, const std::string& expression) {
  if (!f.dom_star && !f.dow_star) return absl::OkStatus();
  const int first_day = std::countr_zero(f.days);
  std::vector<absl::string_view> months;
  for (int m = 1; m <= 12; ++m) {
    if (!((f.months >> m) & 1)) continue;
    if (first_day <= kMaxDaysInMonth[m]) return absl::OkStatus();
    months.push_back(kMonthLongNames[m - 1]);
  }
  const std::string why =
      months.size() == 1 && std::has_single_bit(f.days)
          ? absl::StrCat(months[0], " ", first_day)
          : absl::StrCat("no day ", first_day, std::has_single_bit(f.days) ? "" : " or later",
                         " in ", absl::StrJoin(months, ", "));
  return absl::InvalidArgumentError(absl::StrCat(Quote(expression), " never fires (", why, ")"));
}

// The first civil second at or after `c` that the fields match. Jumps to the next matching
// month, day, hour and minute instead of stepping through seconds.
std::optional<absl::CivilSecond> NextCivilMatch(const CronFields& f, absl::CivilSecond c) {
  const absl::civil_year_t last_year = c.year() + kSearchYears;
  while (c.year() <= last_year) {
    const int month = NextBit(f.months, c.month());
    if (month < 0) {
      c = absl::CivilSecond(c.year() + 1, 1, 1, 0, 0, 0);
      continue;
    }
    if (month != c.month()) c = absl::CivilSecond(c.year(), month, 1, 0, 0, 0);
    const absl::CivilDay day(c);
    const int hour = DayMatches(f, day) ? NextBit(f.hours, c.hour()) : -1;
    if (hour < 0) {
      c = day + 1;
      continue;
    }
    if (hour != c.hour()) c = absl::CivilSecond(c.year(), c.month(), c.day(), hour, 0, 0);
    const int minute = NextBit(f.minutes, c.minute());
    if (minute < 0) {
      c = absl::CivilHour(c) + 1;
      continue;
    }
    if (minute != c.minute()) {
      c = absl::CivilSecond(c.year(), c.month(), c.day(), c.hour(), minute, 0);
    }
    const int second = NextBit(f.seconds, c.second());
    if (second < 0) {
      c = absl::CivilMinute(c) + 1;
      continue;
    }
    return absl::CivilSecond(c.year(), c.month(), c.day(), c.hour(), c.minute(), second);
  }
  return std::nullopt;
}

// "@every N{s|m|h}" -> N in seconds.
absl::StatusOr<int64_t> ParseEvery(const std::vector<absl::string_view>& words) {
  if (words.size() != 2) {
    return absl::InvalidArgumentError(
        words.size() < 2 ? std::string("\"@every\" needs an interval, e.g. \"@every 15m\"")
                         : absl::StrCat("\"@every\" takes one interval (e.g. \"@every 15m\"), got ",
                                        words.size() - 1, " words"));
  }
  const absl::string_view interval = words[1];
  const absl::string_view digits = interval.substr(0, interval.find_first_not_of("0123456789"));
  const absl::string_view unit = interval.substr(digits.size());
  if (digits.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("\"@every\" interval ", Quote(interval),
                                                   " is not a number followed by s, m or h"));
  }
  if (unit.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("\"@every\" interval ", Quote(interval),
                                                   " has no unit; write ", digits, "s, ", digits,
                                                   "m or ", digits, "h"));
  }
  int64_t scale = 0;
  if (unit == "s") scale = 1;
  if (unit == "m") scale = 60;
  if (unit == "h") scale = 3600;
  if (scale == 0) {
    return absl::InvalidArgumentError(absl::StrCat("\"@every\" interval ", Quote(interval),
                                                   " has an unknown unit ", Quote(unit),
                                                   "; use s, m or h"));
  }
  int64_t n = 0;
  if (digits.size() > 6 || !absl::SimpleAtoi(digits, &n) || n * scale > kMaxEverySeconds) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"@every\" interval ", interval, " is longer than 24h"));
  }
  if (n == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"@every\" interval ", interval, " must be at least 1s"));
  }
  return n * scale;
}

// The cron fields a macro stands for; nullopt when `word` (lower case) is no macro.
std::optional<absl::string_view> MacroFields(absl::string_view word) {
  if (word == "@yearly" || word == "@annually") return "0 0 1 1 *";
  if (word == "@monthly") return "0 0 1 * *";
  if (word == "@weekly") return "0 0 * * 0";
  if (word == "@daily" || word == "@midnight") return "0 0 * * *";
  if (word == "@hourly") return "0 * * * *";
  return std::nullopt;
}

}  // namespace

absl::StatusOr<Schedule> Schedule::Parse(const std::string& expression,
                                         const std::string& time_zone) {
  Schedule s;
  s.expression_ = expression;
  s.zone_name_ = time_zone;
  ASSIGN_OR_RETURN(s.zone_, LoadZone(time_zone));
  if (std::optional<absl::string_view> control = ControlCharacter(expression)) {
    return absl::InvalidArgumentError(absl::StrCat("schedule ", Quote(expression), " contains ",
                                                   *control,
                                                   "; write it on one line with single spaces "
                                                   "between the fields"));
  }
  std::vector<absl::string_view> words = absl::StrSplit(expression, ' ', absl::SkipEmpty());
  if (words.empty()) {
    return absl::InvalidArgumentError(
        "the schedule is empty; write cron fields (\"0 3 * * *\") or a macro (\"@daily\", "
        "\"@every 1h\")");
  }
  if (words[0].front() == '@') {
    const std::string macro = absl::AsciiStrToLower(words[0]);
    if (macro == "@every") {
      ASSIGN_OR_RETURN(s.every_s_, ParseEvery(words));
      return s;
    }
    const std::optional<absl::string_view> fields = MacroFields(macro);
    if (!fields) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown macro ", Quote(words[0]),
          " (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or "
          "\"@every N{s|m|h}\")"));
    }
    if (words.size() != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(Quote(words[0]), " takes nothing after it, got ", Quote(expression)));
    }
    words = absl::StrSplit(*fields, ' ');
  }
  ASSIGN_OR_RETURN(const CronFields f, ParseCronFields(words));
  RETURN_IF_ERROR(CheckFiresSometime(f, expression));
  s.seconds_ = f.seconds;
  s.minutes_ = f.minutes;
  s.hours_ = f.hours;
  s.days_ = f.days;
  s.months_ = f.months;
  s.weekdays_ = f.weekdays;
  s.dom_star_ = f.dom_star;
  s.dow_star_ = f.dow_star;
  return s;
}

int64_t Schedule::NextAfter(int64_t after) const {
  if (every_s_ > 0) {
    int64_t periods = after / every_s_;
    if (after % every_s_ != 0 && after < 0) --periods;  // floor, also before the epoch
    return (periods + 1) * every_s_;
  }
  const CronFields f{seconds_, minutes_, hours_, days_, months_, weekdays_, dom_star_, dow_star_};
  absl::CivilSecond from = ToCivil(after, zone_) + 1;
  for (;;) {
    const std::optional<absl::CivilSecond> match = NextCivilMatch(f, from);
    if (!match) return kNever;  // Parse refuses schedules that never fire
    const int64_t at = ToSeconds(*match, zone_);
    if (at > after) return at;
    // `after` lies in the second pass of a repeated (autumn) hour and *match fired at its first
    // occurrence, before `after`; nothing in the repeated hour fires again.
    from = *match + 1;
    const absl::TimeZone::TimeInfo info = zone_.At(*match);
    if (info.kind == absl::TimeZone::TimeInfo::REPEATED) {
      from = std::max(from, zone_.At(info.trans - absl::Seconds(1)).cs + 1);
    }
  }
}

}  // namespace relayguard
