#include "agent/mta/postfix/master_cf.h"

#include <algorithm>
#include <utility>

namespace relayguard::agent::postfix {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string Trim(absl::string_view v) {
  while (!v.empty() && (IsBlank(v.front()) || v.front() == '\n')) v.remove_prefix(1);
  while (!v.empty() && (IsBlank(v.back()) || v.back() == '\n')) v.remove_suffix(1);
  return std::string(v);
}

bool IsCommentOrBlank(absl::string_view content) {
  size_t i = 0;
  while (i < content.size() && IsBlank(content[i])) ++i;
  return i == content.size() || content[i] == '#';
}

bool HasBlank(absl::string_view v) {
  return std::any_of(v.begin(), v.end(), [](char c) { return IsBlank(c) || c == '\n'; });
}

// A value as Postfix sees it: its lines (comment lines skipped) trimmed and joined by a space.
std::string JoinedValue(absl::string_view region) {
  std::string out;
  size_t start = 0;
  bool first = true;
  while (start <= region.size()) {
    size_t nl = region.find('\n', start);
    absl::string_view line =
        region.substr(start, nl == absl::string_view::npos ? absl::string_view::npos : nl - start);
    if (first || !IsCommentOrBlank(line)) {
      std::string t = Trim(line);
      if (!t.empty()) out += (out.empty() ? "" : " ") + t;
    }
    first = false;
    if (nl == absl::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

std::string Assignment(absl::string_view name, absl::string_view value) {
  if (HasBlank(value)) return "{ " + std::string(name) + " = " + std::string(value) + " }";
  return std::string(name) + "=" + std::string(value);
}

}  // namespace

const MasterCf::Override* MasterCf::Service::Find(absl::string_view name) const {
  const Override* found = nullptr;
  for (const Override& o : overrides) {
    if (o.name == name) found = &o;
  }
  return found;
}

MasterCf MasterCf::Parse(absl::string_view text) {
  MasterCf cf;
  cf.text_ = std::string(text);
  cf.Reparse();
  return cf;
}

int MasterCf::LineOf(size_t offset) const {
  return static_cast<int>(std::upper_bound(line_starts_.begin(), line_starts_.end(), offset) -
                          line_starts_.begin()) -
         1;
}

size_t MasterCf::LineContentEnd(int line) const {
  if (static_cast<size_t>(line) + 1 >= line_starts_.size()) return text_.size();
  size_t end = line_starts_[line + 1] - 1;
  if (end > line_starts_[line] && text_[end - 1] == '\r') --end;
  return end;
}

void MasterCf::Reparse() {
  line_starts_ = {0};
  for (size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
  services_.clear();
  entries_.clear();
  std::vector<int> first_lines;
  bool in_word = false;
  int depth = 0;
  Word word;
  auto finish = [&](size_t end) {
    word.end = end;
    entries_.back().words.push_back(word);
    in_word = false;
  };
  for (int line = 0; static_cast<size_t>(line) < line_starts_.size(); ++line) {
    const size_t begin = line_starts_[line];
    const size_t end = LineContentEnd(line);
    absl::string_view content = absl::string_view(text_).substr(begin, end - begin);
    if (IsCommentOrBlank(content)) continue;
    if (!IsBlank(content.front())) {
      if (in_word) finish(word.end);
      depth = 0;
      entries_.emplace_back();
      first_lines.push_back(line);
    } else if (entries_.empty()) {
      continue;  // a continuation of nothing; postfix check reports it
    }
    for (size_t pos = begin; pos < end; ++pos) {
      const char c = text_[pos];
      if (depth == 0 && IsBlank(c)) {
        if (in_word) finish(pos);
        continue;
      }
      if (!in_word) {
        in_word = true;
        word = Word{pos, pos, line};
      }
      if (c == '{') ++depth;
      if (c == '}' && depth > 0) --depth;
      word.end = pos + 1;
    }
    if (in_word && depth == 0) finish(end);
  }
  if (in_word) finish(word.end);

  for (size_t e = 0; e < entries_.size(); ++e) services_.push_back(ParseService(e, first_lines[e]));
}

std::optional<MasterCf::Override> MasterCf::AssignmentAt(size_t pos, size_t end) const {
  absl::string_view a = absl::string_view(text_).substr(pos, end - pos);
  size_t eq = a.find('=');
  if (eq == absl::string_view::npos) return std::nullopt;
  Override o;
  if (a.front() == '{') {
    // "{ name = value }": the value is what lies between '=' and the closing brace, trimmed.
    size_t close = a.rfind('}');
    if (close == absl::string_view::npos || close < eq) close = a.size();
    o.braced = true;
    o.name = Trim(a.substr(1, eq - 1));
    o.value_begin = pos + eq + 1;
    while (o.value_begin < pos + close && IsBlank(text_[o.value_begin])) ++o.value_begin;
    o.value_end = pos + close;
    while (o.value_end > o.value_begin &&
           (IsBlank(text_[o.value_end - 1]) || text_[o.value_end - 1] == '\n')) {
      --o.value_end;
    }
  } else {
    o.name = std::string(a.substr(0, eq));
    o.value_begin = pos + eq + 1;
    o.value_end = end;
  }
  o.value = JoinedValue(absl::string_view(text_).substr(o.value_begin, o.value_end - o.value_begin));
  o.line = LineOf(pos) + 1;
  return o;
}

MasterCf::Service MasterCf::ParseService(size_t e, int first_line) {
  Entry& entry = entries_[e];
  Service s;
  s.line = first_line + 1;
  s.fields = static_cast<int>(entry.words.size());
  auto text_of = [&](size_t i) {
    return text_.substr(entry.words[i].begin, entry.words[i].end - entry.words[i].begin);
  };
  if (entry.words.size() > 0) s.name = text_of(0);
  if (entry.words.size() > 1) s.type = text_of(1);
  if (entry.words.size() > 4) s.chroot = text_of(4);
  if (entry.words.size() > 7) s.command = text_of(7);
  for (size_t i = 8; i < entry.words.size(); ++i) s.args.push_back(text_of(i));
  // "-o name=value" (two words), "-oname=value" (one word), "-o { name = value }".
  for (size_t i = 8; i < entry.words.size(); ++i) {
    size_t assign_word = i, offset = 0;
    const std::string w = text_of(i);
    if (w == "-o" && i + 1 < entry.words.size()) {
      assign_word = i + 1;
    } else if (w.size() > 2 && w.compare(0, 2, "-o") == 0) {
      offset = 2;
    } else {
      continue;
    }
    std::optional<Override> o =
        AssignmentAt(entry.words[assign_word].begin + offset, entry.words[assign_word].end);
    if (!o) continue;
    s.overrides.push_back(std::move(*o));
    entry.override_words.emplace_back(i, assign_word);
    i = assign_word;
  }
  return s;
}

const MasterCf::Service* MasterCf::ServiceAt(int line) const {
  for (const Service& s : services_) {
    if (s.line == line) return &s;
  }
  return nullptr;
}

const MasterCf::Override* MasterCf::Winning(int service_line, absl::string_view name, size_t* entry,
                                            size_t* index) const {
  for (size_t e = 0; e < services_.size(); ++e) {
    if (services_[e].line != service_line) continue;
    const Override* found = nullptr;
    for (size_t i = 0; i < services_[e].overrides.size(); ++i) {
      if (services_[e].overrides[i].name != name) continue;
      found = &services_[e].overrides[i];
      *entry = e;
      *index = i;
    }
    return found;
  }
  return nullptr;
}

bool MasterCf::RemoveOverride(int service_line, absl::string_view name) {
  bool removed = false;
  size_t e = 0, i = 0;
  while (Winning(service_line, name, &e, &i) != nullptr) {
    const std::vector<Word>& w = entries_[e].words;
    const auto [a, b] = entries_[e].override_words[i];
    const int first_line = services_[e].line - 1;
    const int la = w[a].line;
    const int lb = LineOf(w[b].end - 1);
    bool first_on_line = la > first_line;
    for (size_t p = line_starts_[la]; first_on_line && p < w[a].begin; ++p) {
      first_on_line = IsBlank(text_[p]);
    }
    const bool last_on_line = b + 1 == w.size() || w[b + 1].line > lb;
    if (first_on_line && last_on_line) {
      // The override fills its continuation line(s): drop them whole.
      if (static_cast<size_t>(lb) + 1 < line_starts_.size()) {
        text_.erase(line_starts_[la], line_starts_[lb + 1] - line_starts_[la]);
      } else {
        const size_t from = LineContentEnd(la - 1);  // no final newline: keep it that way
        text_.erase(from, text_.size() - from);
      }
    } else if (!last_on_line) {
      text_.erase(w[a].begin, w[b + 1].begin - w[a].begin);
    } else {
      size_t from = w[a].begin;
      while (from > line_starts_[la] && IsBlank(text_[from - 1])) --from;
      text_.erase(from, w[b].end - from);
    }
    Reparse();
    removed = true;
  }
  return removed;
}

bool MasterCf::SetOverride(int service_line, absl::string_view name, absl::string_view value) {
  size_t e = 0, i = 0;
  const Override* o = Winning(service_line, name, &e, &i);
  if (o == nullptr) return false;
  if (o->braced || !HasBlank(value)) return ReplaceValueText(service_line, name, value);
  // An unbraced value cannot hold spaces: rewrite the assignment in braces.
  const auto [a, b] = entries_[e].override_words[i];
  const Word& w = entries_[e].words[b];
  std::string replacement = Assignment(name, value);
  if (a == b) replacement = "-o " + replacement;
  text_.replace(w.begin, w.end - w.begin, replacement);
  Reparse();
  return true;
}

bool MasterCf::ReplaceValueText(int service_line, absl::string_view name, absl::string_view text) {
  size_t e = 0, i = 0;
  const Override* o = Winning(service_line, name, &e, &i);
  if (o == nullptr) return false;
  text_.replace(o->value_begin, o->value_end - o->value_begin, text.data(), text.size());
  Reparse();
  return true;
}

std::string MasterCf::FileEnding() const {
  size_t nl = text_.find('\n');
  return nl != std::string::npos && nl > 0 && text_[nl - 1] == '\r' ? "\r\n" : "\n";
}

std::string MasterCf::ContinuationIndent() const {
  for (size_t e = 0; e < entries_.size(); ++e) {
    for (const Word& w : entries_[e].words) {
      if (w.line == services_[e].line - 1) continue;
      return text_.substr(line_starts_[w.line], w.begin - line_starts_[w.line]);
    }
  }
  return "  ";
}

bool MasterCf::AddOverride(int service_line, absl::string_view name, absl::string_view value) {
  for (size_t e = 0; e < services_.size(); ++e) {
    if (services_[e].line != service_line || entries_[e].words.empty()) continue;
    const int last = LineOf(entries_[e].words.back().end - 1);
    const size_t overrides = services_[e].overrides.size();
    const std::string before = text_;
    text_.insert(LineContentEnd(last),
                 FileEnding() + ContinuationIndent() + "-o " + Assignment(name, value));
    Reparse();
    // Inside a '{' group the service never closes, the words are not an override, for Postfix
    // either (found by fuzz/master_cf_fuzz): refuse rather than report an edit that does nothing.
    const Service* s = ServiceAt(service_line);
    if (s == nullptr || s->overrides.size() != overrides + 1 || s->Find(name) == nullptr) {
      text_ = before;
      Reparse();
      return false;
    }
    return true;
  }
  return false;
}

std::vector<MasterService> ParseMasterCf(absl::string_view text) {
  std::vector<MasterService> out;
  const MasterCf cf = MasterCf::Parse(text);
  for (const MasterCf::Service& s : cf.Services()) {
    if (s.fields < 8) continue;
    out.push_back(MasterService{s.name, s.type, s.command, s.args, s.line});
  }
  return out;
}

std::map<std::string, std::string> SmtpdOverrides(const MasterService& service) {
  std::map<std::string, std::string> out;
  const std::vector<std::string>& a = service.args;
  auto record = [&](const std::string& assignment) {
    size_t eq = assignment.find('=');
    if (eq == std::string::npos) return;
    out[Trim(assignment.substr(0, eq))] = JoinedValue(Trim(assignment.substr(eq + 1)));
  };
  // Open braces minus closed braces.
  auto depth = [](const std::string& text) {
    int d = 0;
    for (char c : text) d += c == '{' ? 1 : c == '}' ? -1 : 0;
    return d;
  };
  for (size_t i = 0; i < a.size(); ++i) {
    std::string opt;
    if (a[i] == "-o" && i + 1 < a.size()) {
      opt = a[++i];
    } else if (a[i].size() > 2 && a[i].compare(0, 2, "-o") == 0) {
      opt = a[i].substr(2);
    } else {
      continue;
    }
    if (!opt.empty() && opt[0] == '{') {
      // "{ name = value with spaces }" as one word (MasterCf groups braces) or spread over
      // words; the value itself may hold braces ("{ a = check_x { b } }").
      std::string joined = opt;
      while (depth(joined) > 0 && i + 1 < a.size()) joined += " " + a[++i];
      size_t close = joined.rfind('}');
      record(joined.substr(1, close == std::string::npos ? std::string::npos : close - 1));
    } else {
      record(opt);
    }
  }
  return out;
}

}  // namespace relayguard::agent::postfix
