#include "agent/mta/postfix/postfix_config.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace relayguard::agent::postfix {
namespace {

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// One `$...` reference starting at text[at] == '$'.
struct Reference {
  std::string name;
  size_t end = 0;       // one past the reference
  bool simple = false;  // $name, ${name}, $(name)
};

std::optional<Reference> ReferenceAt(absl::string_view text, size_t at) {
  size_t i = at + 1;
  if (i >= text.size()) return std::nullopt;
  Reference r;
  if (IsNameChar(text[i])) {
    while (i < text.size() && IsNameChar(text[i])) r.name += text[i++];
    r.end = i;
    r.simple = true;
    return r;
  }
  const char open = text[i];
  if (open != '{' && open != '(') return std::nullopt;
  const char close = open == '{' ? '}' : ')';
  ++i;
  while (i < text.size() && IsNameChar(text[i])) r.name += text[i++];
  if (r.name.empty()) {
    r.end = i;  // "${{$compatibility_level} < ...}": an expression, not a name
    return r;
  }
  if (i < text.size() && text[i] == close) {
    r.end = i + 1;
    r.simple = true;
    return r;
  }
  // ${name?value} / ${name:value} and the 3.x {value} forms: skip to the matching close.
  int depth = 1;
  for (; i < text.size() && depth > 0; ++i) {
    if (text[i] == open) ++depth;
    if (text[i] == close) --depth;
  }
  r.end = i;
  return r;
}

}  // namespace

std::string PostfixConfig::Expanded(int service_line, absl::string_view name) const {
  const std::string key(name);
  if (auto s = by_service.find(service_line); s != by_service.end()) {
    if (auto v = s->second.find(key); v != s->second.end()) return v->second;
  }
  if (auto v = global.find(key); v != global.end()) return v->second;
  return "";
}

std::string PostfixConfig::MainWhere(int line) const {
  return line > 0 ? absl::StrCat(main_cf_path, ":", line) : main_cf_path;
}

std::string PostfixConfig::MasterWhere(int line) const {
  return absl::StrCat(master_cf_path, ":", line);
}

std::vector<std::string> References(absl::string_view value) {
  std::vector<std::string> names;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '$') continue;
    std::optional<Reference> r = ReferenceAt(value, i);
    if (!r) continue;
    if (!r->name.empty()) names.push_back(r->name);
    if (!r->simple) {
      // Names inside a conditional's value count too ("${a?$b}").
      absl::string_view inner = value.substr(i + 1, r->end - i - 1);
      for (size_t j = 0; j < inner.size(); ++j) {
        if (inner[j] != '$') continue;
        if (auto nested = ReferenceAt(inner, j); nested && !nested->name.empty()) {
          names.push_back(nested->name);
        }
      }
    }
    i = r->end - 1;
  }
  return names;
}

std::optional<std::string> SoleReference(absl::string_view value) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
    value.remove_prefix(1);
  }
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
    value.remove_suffix(1);
  }
  if (value.empty() || value.front() != '$') return std::nullopt;
  std::optional<Reference> r = ReferenceAt(value, 0);
  if (!r || !r->simple || r->end != value.size()) return std::nullopt;
  return r->name;
}

std::optional<std::string> ExpandSimple(
    absl::string_view text, const std::function<std::string(const std::string&)>& lookup) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      out += text[i];
      continue;
    }
    std::optional<Reference> r = ReferenceAt(text, i);
    if (!r || !r->simple) return std::nullopt;
    out += lookup(r->name);
    i = r->end - 1;
  }
  return out;
}

std::vector<std::string> ParametersToExpand(const MainCf& main_cf,
                                            const MasterCf::Service* service) {
  std::vector<std::string> names(std::begin(kRelayParameters), std::end(kRelayParameters));
  auto add = [&](const std::string& name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  };
  for (const char* name : kAuthParameters) add(name);
  for (const std::string& key : main_cf.Keys()) {
    add(key);
    for (const std::string& ref : References(main_cf.Get(key).value_or(""))) add(ref);
  }
  if (service != nullptr) {
    for (const MasterCf::Override& o : service->overrides) {
      add(o.name);
      for (const std::string& ref : References(o.value)) add(ref);
    }
  }
  return names;
}

}  // namespace relayguard::agent::postfix
