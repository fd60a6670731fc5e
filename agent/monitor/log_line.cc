#include "agent/monitor/log_line.h"

#include <ctime>

namespace relayguard::agent {
namespace {

// n decimal digits at text[pos]; false if any is not a digit or the text is too short.
bool Digits(absl::string_view text, size_t pos, size_t n, int& value) {
  if (pos + n > text.size()) return false;
  value = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

int MonthIndex(absl::string_view name) {
  static constexpr absl::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (name == kMonths[i]) return i;
  }
  return -1;
}

bool ValidClock(const std::tm& tm) {
  return tm.tm_mon >= 0 && tm.tm_mon < 12 && tm.tm_mday >= 1 && tm.tm_mday <= 31 &&
         tm.tm_hour < 24 && tm.tm_min < 60 && tm.tm_sec <= 60;
}

// Host local time (no zone in the line): mktime decides daylight saving.
int64_t LocalSeconds(std::tm tm) {
  tm.tm_isdst = -1;
  return static_cast<int64_t>(std::mktime(&tm));
}

int64_t UtcSeconds(std::tm tm) { return static_cast<int64_t>(timegm(&tm)); }

// "prog[pid]: message" or "prog: message" -> out.program, out.pid, out.message.
bool SplitTag(absl::string_view rest, LogLine& out) {
  size_t colon = rest.find(": ");
  if (colon == absl::string_view::npos) {
    // "prog[pid]:" with an empty message is still a line of that program.
    if (rest.empty() || rest.back() != ':') return false;
    colon = rest.size() - 1;
  }
  absl::string_view tag = rest.substr(0, colon);
  if (tag.empty() || tag.find(' ') != absl::string_view::npos) return false;
  out.pid = 0;
  if (tag.back() == ']') {
    size_t open = tag.rfind('[');
    if (open == absl::string_view::npos || open == 0) return false;
    int64_t pid = 0;
    for (size_t i = open + 1; i + 1 < tag.size(); ++i) {
      if (tag[i] < '0' || tag[i] > '9' || pid > (int64_t{1} << 40)) return false;
      pid = pid * 10 + (tag[i] - '0');
    }
    out.pid = pid;
    tag = tag.substr(0, open);
  }
  out.program = tag;
  out.message = colon + 2 <= rest.size() ? rest.substr(colon + 2) : absl::string_view();
  return true;
}

// " host prog[pid]: message" after a timestamp.
bool SplitHostAndTag(absl::string_view rest, LogLine& out) {
  if (rest.empty() || rest[0] != ' ') return false;
  rest.remove_prefix(1);
  size_t space = rest.find(' ');
  if (space == 0 || space == absl::string_view::npos) return false;
  return SplitTag(rest.substr(space + 1), out);
}

}  // namespace

bool LogLineSplitter::Split(const LogEntry& entry, LogLine& out) const {
  if (entry.from_journal) {
    if (entry.identifier.empty()) return false;
    out.time_s = entry.time_us / 1000000;
    out.program = entry.identifier;
    out.pid = entry.pid;
    out.message = entry.text;
    return true;
  }
  absl::string_view text = entry.text;
  if (text.size() < 16 || text.size() > kMaxLogLine) return false;
  if (text[0] >= '0' && text[0] <= '9') return SplitIsoTime(text, out);
  return SplitSyslog(text, out);
}

bool LogLineSplitter::SplitSyslog(absl::string_view text, LogLine& out) const {
  // "Dec  5 10:00:01" (syslogd) or "Dec 05 10:00:01" (Postfix's maillog_file).
  std::tm tm{};
  tm.tm_mon = MonthIndex(text.substr(0, 3));
  if (tm.tm_mon < 0 || text[3] != ' ') return false;
  if (text[4] == ' ') {
    if (!Digits(text, 5, 1, tm.tm_mday)) return false;
  } else if (!Digits(text, 4, 2, tm.tm_mday)) {
    return false;
  }
  if (!Digits(text, 7, 2, tm.tm_hour) || text[9] != ':' || !Digits(text, 10, 2, tm.tm_min) ||
      text[12] != ':' || !Digits(text, 13, 2, tm.tm_sec) || text[6] != ' ' || !ValidClock(tm)) {
    return false;
  }
  const int64_t now = clock_.WallSeconds();
  std::time_t now_t = static_cast<std::time_t>(now);
  std::tm now_tm{};
  localtime_r(&now_t, &now_tm);
  tm.tm_year = now_tm.tm_year;
  int64_t t = LocalSeconds(tm);
  if (t > now + 86400) {  // "Dec 31" read on Jan 1st: last year's line
    tm.tm_year -= 1;
    t = LocalSeconds(tm);
  }
  out.time_s = t;
  return SplitHostAndTag(text.substr(15), out);
}

bool LogLineSplitter::SplitIsoTime(absl::string_view text, LogLine& out) const {
  std::tm tm{};
  int year = 0, month = 0;
  if (!Digits(text, 0, 4, year) || text[4] != '-' || !Digits(text, 5, 2, month) || text[7] != '-' ||
      !Digits(text, 8, 2, tm.tm_mday) || !Digits(text, 11, 2, tm.tm_hour) || text[13] != ':' ||
      !Digits(text, 14, 2, tm.tm_min) || text[16] != ':' || !Digits(text, 17, 2, tm.tm_sec)) {
    return false;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  if (!ValidClock(tm)) return false;
  size_t pos = 19;
  if (text[10] == 'T') {
    // RFC 3339: fraction, then "Z" or "+hh:mm".
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    }
    if (pos >= text.size()) return false;
    int offset = 0;
    if (text[pos] == 'Z') {
      ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
      int hours = 0, minutes = 0;
      if (!Digits(text, pos + 1, 2, hours) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
          !Digits(text, pos + 4, 2, minutes)) {
        return false;
      }
      offset = (hours * 60 + minutes) * 60 * (text[pos] == '-' ? -1 : 1);
      pos += 6;
    } else {
      return false;
    }
    out.time_s = UtcSeconds(tm) - offset;
    return SplitHostAndTag(text.substr(pos), out);
  }
  if (text[10] != ' ') return false;
  // Exim's mainlog: "2026-12-05 10:00:01[ +0100][ [pid]] message".
  absl::string_view rest = text.substr(pos);
  out.time_s = LocalSeconds(tm);
  if (rest.size() >= 6 && rest[0] == ' ' && (rest[1] == '+' || rest[1] == '-')) {
    int hhmm = 0;
    if (!Digits(rest, 2, 4, hhmm) || (rest.size() > 6 && rest[6] != ' ')) return false;
    const int offset = ((hhmm / 100) * 60 + hhmm % 100) * 60 * (rest[1] == '-' ? -1 : 1);
    out.time_s = UtcSeconds(tm) - offset;
    rest.remove_prefix(6);
  }
  if (rest.empty() || rest[0] != ' ') return false;
  rest.remove_prefix(1);
  out.pid = 0;
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find("] ");
    if (close == absl::string_view::npos || close < 2 || close > 12) return false;
    int64_t pid = 0;
    for (size_t i = 1; i < close; ++i) {
      if (rest[i] < '0' || rest[i] > '9') return false;
      pid = pid * 10 + (rest[i] - '0');
    }
    out.pid = pid;
    rest.remove_prefix(close + 2);
  }
  if (rest.empty()) return false;
  out.program = "exim";
  out.message = rest;
  return true;
}

}  // namespace relayguard::agent
