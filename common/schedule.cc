#include "common/schedule.h"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/status_macros.h"

// Daylight saving time. Cron fields name local civil times; each civil time fires at most once,
// at the instant absl::FromCivil gives it:
//   - a local time skipped by a spring-forward transition ("30 2 * * *" in Europe/Berlin on
//     2026-03-29, when 02:00 jumps to 03:00) fires at the transition instant (03:00 CEST), once,
//     however many skipped times match;
//   - a local time repeated by an autumn transition fires at its first occurrence only (02:30
//     CEST on 2026-10-25, not again at 02:30 CET). A schedule firing every few minutes therefore
//     pauses for the repeated hour; "@every" counts real seconds and does not.
// Maintenance windows open and close at the same FromCivil instants.

namespace relayguard {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
// The Gregorian calendar repeats every 400 years (146097 days, a whole number of weeks), so a
// civil pattern that matches nothing in 400 years matches nothing ever.
constexpr int kSearchYears = 401;
constexpr int64_t kMaxEverySeconds = 24 * 3600;

constexpr absl::string_view kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                             "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr absl::string_view kMonthLongNames[] = {"January",   "February", "March",    "April",
                                                 "May",       "June",     "July",     "August",
                                                 "September", "October",  "November", "December"};
constexpr absl::string_view kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr int kMaxDaysInMonth[] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

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

// The smallest set bit of `mask` at or above `from`; -1 if none.
int NextBit(uint64_t mask, int from) {
  if (from >= 64) return -1;
  const uint64_t rest = mask & (~uint64_t{0} << from);
  return rest == 0 ? -1 : std::countr_zero(rest);
}

int64_t ToSeconds(absl::CivilSecond civil, absl::TimeZone zone) {
  return absl::ToUnixSeconds(absl::FromCivil(civil, zone));
}

absl::CivilSecond ToCivil(int64_t at, absl::TimeZone zone) {
  return zone.At(absl::FromUnixSeconds(at)).cs;
}

// IANA names only: no absolute paths, ".." or "file:" that would make absl read other files.
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

// ---- cron ----------------------------------------------------------------------------------

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

// One value of a field: a number in range or a name; a problem otherwise.
std::optional<std::string> ParseValue(const FieldSpec& spec, absl::string_view text, int& value) {
  if (AllDigits(text)) {
    if (text.size() > 4 || !absl::SimpleAtoi(text, &value) || value < spec.min ||
        value > spec.max) {
      return absl::StrCat(text, " is out of range ", spec.min, "..", spec.max);
    }
    return std::nullopt;
  }
  for (int i = 0; i < spec.name_count; ++i) {
    if (absl::EqualsIgnoreCase(text, spec.names[i])) {
      value = spec.min + i;
      return std::nullopt;
    }
  }
  return absl::StrCat(Quote(text), " is not ", spec.expected);
}

std::optional<std::string> ParseStep(const FieldSpec& spec, absl::string_view item,
                                     absl::string_view text, int& step) {
  if (text.empty()) return absl::StrCat(Quote(item), " has no step after \"/\"");
  if (!AllDigits(text)) return absl::StrCat("step ", Quote(text), " is not a number");
  if (text.size() > 4 || !absl::SimpleAtoi(text, &step) || step > spec.max - spec.min) {
    return absl::StrCat("step ", text, " is larger than the range ", spec.min, "..", spec.max);
  }
  if (step == 0) return absl::StrCat("step 0 in ", Quote(item), " must be at least 1");
  return std::nullopt;
}

// The values `base` (the part before any "/") names: "*", "a", "a-b".
std::optional<std::string> ParseBase(const FieldSpec& spec, absl::string_view base, bool stepped,
                                     int& lo, int& hi) {
  if (base == "*") {
    lo = spec.min;
    hi = spec.max;
    return std::nullopt;
  }
  if (base.empty()) return "a step needs a start before \"/\", e.g. \"*/5\"";
  const size_t dash = base.find('-');
  if (dash == absl::string_view::npos) {
    if (auto problem = ParseValue(spec, base, lo)) return problem;
    hi = stepped ? spec.max : lo;  // "a/n" runs from a to the maximum
    return std::nullopt;
  }
  const absl::string_view first = base.substr(0, dash), last = base.substr(dash + 1);
  if (first.empty()) return absl::StrCat("range ", Quote(base), " has no start");
  if (last.empty()) return absl::StrCat("range ", Quote(base), " has no end");
  if (absl::StrContains(last, '-')) return absl::StrCat(Quote(base), " is not a range a-b");
  if (auto problem = ParseValue(spec, first, lo)) return problem;
  if (auto problem = ParseValue(spec, last, hi)) return problem;
  if (spec.sunday_is_7 && hi == 0 && lo > 0) hi = 7;
  if (lo > hi) {
    return absl::StrCat("range ", Quote(base), " runs backwards; write it as two ranges, \"", first,
                        "-", spec.max, ",", spec.min, "-", last, "\"");
  }
  return std::nullopt;
}

// One list item: "*", "a", "a-b", each optionally with "/n". Sets its values in `bits`.
std::optional<std::string> ParseItem(const FieldSpec& spec, absl::string_view item,
                                     uint64_t& bits) {
  const size_t slash = item.find('/');
  const absl::string_view base = item.substr(0, slash);
  int step = 1;
  if (slash != absl::string_view::npos) {
    const absl::string_view step_text = item.substr(slash + 1);
    if (absl::StrContains(step_text, '/')) {
      return absl::StrCat("more than one \"/\" in ", Quote(item));
    }
    if (auto problem = ParseStep(spec, item, step_text, step)) return problem;
  }
  int lo = 0, hi = 0;
  if (auto problem = ParseBase(spec, base, slash != absl::string_view::npos, lo, hi)) {
    return problem;
  }
  for (int v = lo; v <= hi; v += step) bits |= uint64_t{1} << v;
  return std::nullopt;
}

// Field `number` (1-based, as written) as a bit set: bit v set when value v matches.
absl::StatusOr<uint64_t> ParseField(const FieldSpec& spec, int number, absl::string_view text) {
  uint64_t bits = 0;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    std::optional<std::string> problem;
    if (item.empty()) {
      problem = absl::StrCat("empty item in the list ", Quote(text));
    } else {
      problem = ParseItem(spec, item, bits);
    }
    if (problem) {
      return absl::InvalidArgumentError(
          absl::StrCat("field ", number, " (", spec.name, "): ", *problem));
    }
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

// Why the fields match no date at all; nullopt when they match some. Exact: with either-match
// (both day fields restricted) any weekday occurs every month; with both-match a date that
// exists falls on every weekday over the years; so only a day of month that no chosen month
// has can make a schedule never fire.
std::optional<std::string> WhyNeverFires(const CronFields& f) {
  if (!f.dom_star && !f.dow_star) return std::nullopt;
  const int first_day = std::countr_zero(f.days);
  std::vector<absl::string_view> months;
  for (int m = 1; m <= 12; ++m) {
    if (!((f.months >> m) & 1)) continue;
    if (first_day <= kMaxDaysInMonth[m]) return std::nullopt;
    months.push_back(kMonthLongNames[m - 1]);
  }
  if (months.size() == 1 && std::has_single_bit(f.days)) {
    return absl::StrCat(months[0], " ", first_day);
  }
  return absl::StrCat("no day ", first_day, std::has_single_bit(f.days) ? "" : " or later", " in ",
                      absl::StrJoin(months, ", "));
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

// ---- maintenance windows --------------------------------------------------------------------

std::optional<int> DayNumber(absl::string_view name) {
  for (int i = 0; i < 7; ++i) {
    if (absl::EqualsIgnoreCase(name, kDayNames[i])) return i;
  }
  return std::nullopt;
}

// "*", "daily", "sat", "mon-fri", "fri-mon" (ranges wrap around the week), "sat,sun".
std::optional<std::string> ParseWindowDays(absl::string_view text, uint8_t& bits) {
  if (text == "*" || absl::EqualsIgnoreCase(text, "daily")) {
    bits = 0x7f;
    return std::nullopt;
  }
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    if (item.empty()) return absl::StrCat("empty item in the day list ", Quote(text));
    const std::vector<absl::string_view> ends = absl::StrSplit(item, absl::MaxSplits('-', 1));
    const std::optional<int> first = DayNumber(ends[0]);
    const std::optional<int> last = ends.size() == 2 ? DayNumber(ends[1]) : first;
    if (!first || !last) {
      return absl::StrCat(Quote(item),
                          " is not a day (sun..sat), a range such as mon-fri, \"*\" or daily");
    }
    for (int d = *first;; d = (d + 1) % 7) {
      bits |= 1 << d;
      if (d == *last) break;
    }
  }
  return std::nullopt;
}

// "HH:MM" (or "H:MM") as minutes after midnight; "24:00" only when `is_end`.
std::optional<std::string> ParseClock(absl::string_view text, bool is_end, int& minutes) {
  const size_t colon = text.find(':');
  const absl::string_view hh = text.substr(0, colon);
  const absl::string_view mm =
      colon == absl::string_view::npos ? absl::string_view() : text.substr(colon + 1);
  int hour = 0, minute = 0;
  if (hh.size() > 2 || mm.size() != 2 || !AllDigits(hh) || !AllDigits(mm) ||
      !absl::SimpleAtoi(hh, &hour) || !absl::SimpleAtoi(mm, &minute)) {
    return absl::StrCat(Quote(text), " is not a time HH:MM");
  }
  if (hour == 24 && minute == 0 && is_end) {
    minutes = 24 * 60;
    return std::nullopt;
  }
  if (hour > 23) {
    return absl::StrCat("hour ", hour, " is out of range 0..23",
                        hour == 24 ? " (only the end may be 24:00)" : "");
  }
  if (minute > 59) return absl::StrCat("minute ", minute, " is out of range 0..59");
  minutes = hour * 60 + minute;
  return std::nullopt;
}

// "HH:MM-HH:MM"; an end equal to the start is refused as an empty window (a whole day is
// "00:00-24:00"), so a typo does not silently become 24 hours.
std::optional<std::string> ParseWindowTimes(absl::string_view text, int& start, int& end) {
  const std::vector<absl::string_view> ends = absl::StrSplit(text, '-');
  if (ends.size() != 2) return absl::StrCat(Quote(text), " is not a time range HH:MM-HH:MM");
  if (auto problem = ParseClock(ends[0], false, start)) return problem;
  if (auto problem = ParseClock(ends[1], true, end)) return problem;
  if (start == end) {
    return absl::StrCat("empty window (it ends when it starts, at ", ends[0],
                        "); for a whole day write 00:00-24:00");
  }
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
  if (std::optional<std::string> why = WhyNeverFires(f)) {
    return absl::InvalidArgumentError(absl::StrCat(Quote(expression), " never fires (", *why, ")"));
  }
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

absl::StatusOr<MaintenanceWindow> MaintenanceWindow::Parse(const std::string& text,
                                                           const std::string& time_zone) {
  MaintenanceWindow w;
  w.text_ = text;
  ASSIGN_OR_RETURN(w.zone_, LoadZone(time_zone));
  const std::vector<absl::string_view> words = absl::StrSplit(text, ' ', absl::SkipEmpty());
  std::optional<std::string> problem;
  if (std::optional<absl::string_view> control = ControlCharacter(text)) {
    problem = absl::StrCat("contains ", *control, "; write it on one line");
  } else if (words.empty()) {
    problem = "is empty; write \"DAYS HH:MM-HH:MM\", e.g. \"sat,sun 02:00-05:00\"";
  } else if (words.size() == 1) {
    problem = "expected \"DAYS HH:MM-HH:MM\", e.g. \"mon-fri 22:00-02:00\"";
  } else {
    // Spaces around the dash ("sat 02:00 - 05:00") are harmless.
    const std::string times =
        absl::StrJoin(std::vector<absl::string_view>(words.begin() + 1, words.end()), "");
    problem = ParseWindowDays(words[0], w.weekdays_);
    if (!problem) problem = ParseWindowTimes(times, w.start_min_, w.end_min_);
  }
  if (problem) {
    return absl::InvalidArgumentError(
        absl::StrCat("maintenance window ", Quote(text), ": ", *problem));
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
    if (start > after) return start;
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

int64_t SplayOffset(const std::string& host, int64_t splay_s) {
  if (splay_s <= 0) return 0;
  // FNV-1a, 64 bit: fixed constants, so the offset is the same on every machine and run.
  uint64_t hash = 14695981039346656037ull;
  for (char c : host) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return static_cast<int64_t>(hash % static_cast<uint64_t>(splay_s));
}

int64_t NextCheckAfter(const Schedule& schedule, const std::string& host, int64_t splay_s,
                       int64_t after) {
  const int64_t offset = SplayOffset(host, splay_s);
  const int64_t firing = schedule.NextAfter(after - offset);
  return firing == kNever ? kNever : firing + offset;
}

}  // namespace relayguard
