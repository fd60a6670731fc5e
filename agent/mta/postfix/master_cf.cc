#include "agent/mta/postfix/master_cf.h"

#include <utility>

namespace relayguard::agent::postfix {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !IsSpace(text[i])) ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

std::string Trim(std::string_view v) {
  while (!v.empty() && IsSpace(v.front())) v.remove_prefix(1);
  while (!v.empty() && IsSpace(v.back())) v.remove_suffix(1);
  return std::string(v);
}

// Open braces minus closed braces in `text`.
int BraceDepth(std::string_view text) {
  int depth = 0;
  for (char c : text) {
    if (c == '{') ++depth;
    if (c == '}') --depth;
  }
  return depth;
}

}  // namespace

std::vector<MasterService> ParseMasterCf(std::string_view text) {
  std::vector<MasterService> services;
  // Logical lines: a line starting with whitespace continues the previous one; blank and '#'
  // lines are skipped.
  std::vector<std::pair<int, std::string>> logical;
  int line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line =
        text.substr(start, nl == std::string_view::npos ? text.size() - start : nl - start);
    start = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    std::string trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    if (IsSpace(line[0])) {
      if (!logical.empty()) logical.back().second += " " + trimmed;
      continue;
    }
    logical.emplace_back(line_no, std::string(line));
  }
  for (const auto& [first_line, text_line] : logical) {
    std::vector<std::string> words = Words(text_line);
    if (words.size() < 8) continue;
    MasterService s;
    s.service = words[0];
    s.type = words[1];
    s.command = words[7];
    s.args.assign(words.begin() + 8, words.end());
    s.line = first_line;
    services.push_back(std::move(s));
  }
  return services;
}

std::optional<SmtpdListener> FindSmtpdListener(std::string_view master_cf_text) {
  for (const MasterService& s : ParseMasterCf(master_cf_text)) {
    if (s.type != "inet" || s.command != "smtpd") continue;
    SmtpdListener l;
    const std::string& name = s.service;
    if (!name.empty() && name[0] == '[') {
      // "[::1]:25": the brackets guard the colons of an IPv6 address.
      size_t close = name.find(']');
      if (close != std::string::npos) {
        l.host = name.substr(1, close - 1);
        if (close + 1 < name.size() && name[close + 1] == ':') l.port = name.substr(close + 2);
        return l;
      }
    }
    size_t colon = name.rfind(':');
    if (colon == std::string::npos) {
      l.port = name;
    } else {
      l.host = name.substr(0, colon);
      l.port = name.substr(colon + 1);
    }
    return l;
  }
  return std::nullopt;
}

std::map<std::string, std::string> SmtpdOverrides(const MasterService& service) {
  std::map<std::string, std::string> out;
  const std::vector<std::string>& a = service.args;
  auto record = [&](const std::string& assignment) {
    size_t eq = assignment.find('=');
    if (eq == std::string::npos) return;
    out[Trim(assignment.substr(0, eq))] = Trim(assignment.substr(eq + 1));
  };
  for (size_t i = 0; i < a.size(); ++i) {
    std::string opt;
    if (a[i] == "-o" && i + 1 < a.size()) {
      opt = a[++i];
    } else if (a[i].rfind("-o", 0) == 0 && a[i].size() > 2) {
      opt = a[i].substr(2);
    } else {
      continue;
    }
    if (!opt.empty() && opt[0] == '{') {
      // "{ name = value with spaces }" spans words until the matching closing brace; the value
      // itself may hold braces ("{ a = check_x { b } }").
      std::string joined = opt;
      while (BraceDepth(joined) > 0 && i + 1 < a.size()) joined += " " + a[++i];
      size_t close = joined.rfind('}');
      joined = joined.substr(1, close == std::string::npos ? std::string::npos : close - 1);
      record(joined);
    } else {
      record(opt);
    }
  }
  return out;
}

}  // namespace relayguard::agent::postfix
