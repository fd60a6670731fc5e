#include "agent/mta/postfix/main_cf.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/text_lines.h"

namespace relayguard::agent::postfix {
namespace {

// A physical line without its line ending ("\n" or "\r\n"; a lone trailing '\r' is content).
absl::string_view Content(const std::string& line) {
  absl::string_view v = line;
  if (v.empty() || v.back() != '\n') return v;
  v.remove_suffix(1);
  if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
  return v;
}

absl::string_view Ending(const std::string& line) {
  absl::string_view v = line;
  return v.substr(Content(line).size());
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

absl::string_view Trim(absl::string_view v) {
  while (!v.empty() && IsSpace(v.front())) v.remove_prefix(1);
  while (!v.empty() && IsSpace(v.back())) v.remove_suffix(1);
  return v;
}

// Blank and comment lines are skipped wherever they are, even between continuation lines.
bool IsBlankOrComment(absl::string_view content) {
  absl::string_view t = Trim(content);
  return t.empty() || t.front() == '#';
}

// The file's line ending, judged by its first line that has one: "\r\n" files stay CRLF.
std::string FileEnding(const std::vector<std::string>& lines) {
  for (const std::string& line : lines) {
    if (!Ending(line).empty()) return std::string(Ending(line));
  }
  return "\n";
}

struct Entry {
  size_t first = 0;                   // index of the `key = value` line
  std::vector<size_t> continuations;  // indices of its continuation lines
  std::string key;
  std::string value;  // joined, trimmed
};

std::vector<Entry> Entries(const std::vector<std::string>& lines) {
  std::vector<Entry> entries;
  bool in_entry = false;  // whether the last logical line is a setting we track
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::string_view c = Content(lines[i]);
    if (IsBlankOrComment(c)) continue;
    if (IsSpace(c.front())) {
      if (in_entry) {
        Entry& e = entries.back();
        e.continuations.push_back(i);
        absl::string_view more = Trim(c);
        if (!e.value.empty()) e.value += ' ';
        absl::StrAppend(&e.value, more);
      }
      continue;
    }
    in_entry = false;
    size_t eq = c.find('=');
    if (eq == absl::string_view::npos) continue;  // not a setting; postconf will say so
    absl::string_view key = Trim(c.substr(0, eq));
    if (key.empty() || key.find_first_of(" \t") != absl::string_view::npos) continue;
    entries.push_back({i, {}, std::string(key), std::string(Trim(c.substr(eq + 1)))});
    in_entry = true;
  }
  return entries;
}

}  // namespace

MainCf MainCf::Parse(absl::string_view text) {
  MainCf cf;
  for (const TextLine& line : SplitTextLines(text)) cf.lines_.emplace_back(line.Whole(text));
  return cf;
}

std::string MainCf::Render() const {
  std::string out;
  for (const std::string& line : lines_) out += line;
  return out;
}

std::optional<std::string> MainCf::Get(absl::string_view key) const {
  std::optional<std::string> value;
  for (const Entry& e : Entries(lines_)) {
    if (e.key == key) value = e.value;
  }
  return value;
}

std::vector<std::string> MainCf::Keys() const {
  std::vector<std::string> keys;
  for (const Entry& e : Entries(lines_)) {
    if (std::find(keys.begin(), keys.end(), e.key) == keys.end()) keys.push_back(e.key);
  }
  return keys;
}

void MainCf::Set(absl::string_view key, absl::string_view value) {
  if (value.find_first_of("\r\n") != absl::string_view::npos) {
    // Policy values are validated long before; a newline here is a programming error.
    std::fprintf(stderr, "MainCf::Set: value for %.*s contains a line break\n",
                 static_cast<int>(key.size()), key.data());
    std::abort();
  }
  if (Get(key) == std::string(value)) return;
  std::vector<Entry> entries = Entries(lines_);
  const Entry* last = nullptr;
  for (const Entry& e : entries) {
    if (e.key == key) last = &e;
  }
  if (last == nullptr) {
    const std::string ending = FileEnding(lines_);
    if (!lines_.empty() && Ending(lines_.back()).empty()) lines_.back() += ending;
    lines_.push_back(std::string(key) + " = " + std::string(value) + ending);
    return;
  }
  const std::string& line = lines_[last->first];
  absl::string_view c = Content(line);
  size_t eq = c.find('=');
  size_t value_start = eq + 1;
  while (value_start < c.size() && IsSpace(c[value_start])) ++value_start;
  std::string prefix(c.substr(0, value_start));
  if (value_start == c.size() && value_start == eq + 1 && !value.empty()) prefix += " ";
  std::string replaced = prefix + std::string(value) + std::string(Ending(line));
  std::vector<size_t> drop = last->continuations;
  lines_[last->first] = replaced;
  for (auto it = drop.rbegin(); it != drop.rend(); ++it) {
    lines_.erase(lines_.begin() + static_cast<std::ptrdiff_t>(*it));
  }
  // The rewritten line keeps its ending; if it was the last line and lacked one, that stays.
}

}  // namespace relayguard::agent::postfix

namespace relayguard::agent::postfix {
namespace {

const Entry* LastEntry(const std::vector<Entry>& entries, absl::string_view key) {
  const Entry* last = nullptr;
  for (const Entry& e : entries) {
    if (e.key == key) last = &e;
  }
  return last;
}

// Offset of the value in a `key = value` line: after '=' and the blanks that follow it.
size_t ValueStart(absl::string_view content) {
  size_t start = content.find('=') + 1;
  while (start < content.size() && IsSpace(content[start])) ++start;
  return start;
}

size_t LastLine(const Entry& e) {
  return e.continuations.empty() ? e.first : e.continuations.back();
}

}  // namespace

std::optional<int> MainCf::Line(absl::string_view key) const {
  std::vector<Entry> entries = Entries(lines_);
  const Entry* last = LastEntry(entries, key);
  if (last == nullptr) return std::nullopt;
  return static_cast<int>(last->first) + 1;
}

std::optional<std::string> MainCf::RawValue(absl::string_view key) const {
  std::vector<Entry> entries = Entries(lines_);
  const Entry* last = LastEntry(entries, key);
  if (last == nullptr) return std::nullopt;
  std::string out;
  const size_t end_line = LastLine(*last);
  for (size_t i = last->first; i <= end_line; ++i) {
    absl::string_view c = Content(lines_[i]);
    if (i == last->first) c = c.substr(ValueStart(c));
    absl::StrAppend(&out, c);
    if (i != end_line) absl::StrAppend(&out, Ending(lines_[i]));
  }
  return out;
}

void MainCf::SetRawValue(absl::string_view key, absl::string_view raw) {
  std::vector<Entry> entries = Entries(lines_);
  const Entry* last = LastEntry(entries, key);
  std::string replaced;
  size_t first = lines_.size(), end_line = lines_.size();
  if (last == nullptr) {
    const std::string ending = FileEnding(lines_);
    if (!lines_.empty() && Ending(lines_.back()).empty()) lines_.back() += ending;
    replaced = std::string(key) + " = " + std::string(raw) + ending;
    first = end_line = lines_.size();
  } else {
    first = last->first;
    end_line = LastLine(*last);
    absl::string_view c = Content(lines_[first]);
    size_t start = ValueStart(c);
    std::string prefix(c.substr(0, start));
    if (start == c.size() && start == c.find('=') + 1 && !raw.empty()) prefix += " ";
    if (raw.empty()) prefix.erase(c.find('=') + 1);  // "name =", no trailing blank
    replaced = prefix + std::string(raw) + std::string(Ending(lines_[end_line]));
    lines_.erase(lines_.begin() + static_cast<std::ptrdiff_t>(first),
                 lines_.begin() + static_cast<std::ptrdiff_t>(end_line) + 1);
  }
  std::vector<std::string> split;
  for (const TextLine& line : SplitTextLines(replaced)) split.emplace_back(line.Whole(replaced));
  lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(first), split.begin(), split.end());
}

}  // namespace relayguard::agent::postfix
