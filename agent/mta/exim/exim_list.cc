#include "agent/mta/exim/exim_list.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/cidr.h"

namespace relayguard::agent::exim {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }

std::string CanonicalItem(absl::string_view item) {
  auto cidr = ParseCidr(item);
  if (cidr.ok()) return cidr->ToString();
  return absl::AsciiStrToLower(std::string(item));
}

// `item` with every `sep` doubled, so that it survives as one list item.
std::string Escape(absl::string_view item, char sep) {
  std::string out;
  for (char c : item) {
    out += c;
    if (c == sep) out += c;
  }
  return out;
}

}  // namespace

std::vector<std::string> ParseEximList(absl::string_view value) {
  size_t i = 0;
  while (i < value.size() && IsSpace(value[i])) ++i;
  char sep = ':';
  if (i + 1 < value.size() && value[i] == '<' &&
      std::ispunct(static_cast<unsigned char>(value[i + 1]))) {
    sep = value[i + 1];
    i += 2;
  }
  std::vector<std::string> items;
  while (i < value.size()) {
    while (i < value.size() && IsSpace(value[i])) ++i;
    if (i == value.size()) break;  // an empty last item is ignored
    std::string item;
    while (i < value.size()) {
      if (value[i] == sep) {
        if (i + 1 < value.size() && value[i + 1] == sep) {
          item += sep;
          i += 2;
          continue;
        }
        ++i;
        break;
      }
      item += value[i++];
    }
    while (!item.empty() && IsSpace(item.back())) item.pop_back();
    items.push_back(std::move(item));
  }
  return items;
}

std::string FormatEximList(const std::vector<std::string>& items) {
  bool has_colon = false;
  for (const std::string& item : items) {
    if (item.find(':') != std::string::npos) has_colon = true;
  }
  std::vector<std::string> escaped;
  for (const std::string& item : items) escaped.push_back(Escape(item, has_colon ? ';' : ':'));
  if (escaped.empty()) return "";
  if (has_colon) return absl::StrCat("<; ", absl::StrJoin(escaped, " ; "));
  // A first item such as "<;" would read as a separator change: name ':' first.
  if (escaped.front().size() > 1 && escaped.front()[0] == '<') {
    return absl::StrCat("<: ", absl::StrJoin(escaped, " : "));
  }
  return absl::StrJoin(escaped, " : ");
}

bool SameEximListItems(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (CanonicalItem(a[i]) != CanonicalItem(b[i])) return false;
  }
  return true;
}

}  // namespace relayguard::agent::exim
