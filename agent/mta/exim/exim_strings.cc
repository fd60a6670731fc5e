#include "agent/mta/exim/exim_strings.h"

namespace relayguard::agent::exim {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

}  // namespace

std::string_view StripLeadingSpace(std::string_view v) {
  while (!v.empty() && IsSpace(v.front())) v.remove_prefix(1);
  return v;
}

std::string_view StripTrailingSpace(std::string_view v) {
  while (!v.empty() && IsSpace(v.back())) v.remove_suffix(1);
  return v;
}

std::string_view StripSpace(std::string_view v) { return StripTrailingSpace(StripLeadingSpace(v)); }

bool StartsWith(std::string_view v, std::string_view prefix) { return v.starts_with(prefix); }

bool Contains(std::string_view v, std::string_view part) {
  return v.find(part) != std::string_view::npos;
}

bool ConsumePrefix(std::string_view* v, std::string_view prefix) {
  if (!v->starts_with(prefix)) return false;
  v->remove_prefix(prefix.size());
  return true;
}

bool ConsumeSuffix(std::string_view* v, std::string_view suffix) {
  if (!v->ends_with(suffix)) return false;
  v->remove_suffix(suffix.size());
  return true;
}

}  // namespace relayguard::agent::exim
