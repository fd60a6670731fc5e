#include "common/hostname.h"

#include <cctype>

namespace relayguard {
namespace {

bool ValidLabel(absl::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

}  // namespace

bool ValidHostName(absl::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t begin = 0;
  while (true) {
    const size_t dot = name.find('.', begin);
    if (!ValidLabel(name.substr(begin, dot == absl::string_view::npos ? dot : dot - begin))) {
      return false;
    }
    if (dot == absl::string_view::npos) return true;
    begin = dot + 1;
  }
}

}  // namespace relayguard
