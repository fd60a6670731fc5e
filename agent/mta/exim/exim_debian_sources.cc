#include "agent/mta/exim/exim_debian_sources.h"

#include <utility>

#include "absl/strings/str_split.h"
#include "agent/mta/exim/exim_config_text.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace relayguard::agent::exim {
namespace {

// update-exim4.conf(8): the macros it defines from debconf settings.
constexpr std::pair<absl::string_view, absl::string_view> kGeneratedMacros[] = {
    {"MAIN_LOCAL_INTERFACES", "dc_local_interfaces"},
    {"MAIN_RELAY_NETS", "dc_relay_nets"},
    {"MAIN_RELAY_TO_DOMAINS", "dc_relay_domains"},
    {"MAIN_LOCAL_DOMAINS", "dc_other_hostnames"},
    {"DCsmarthost", "dc_smarthost"},
};

}  // namespace

std::optional<std::string> LocateInSources(absl::string_view content,
                                           const std::vector<SourceFile>& sources) {
  absl::string_view want = absl::StripAsciiWhitespace(content);
  if (want.empty()) return std::nullopt;
  for (const SourceFile& f : sources) {
    int n = 0;
    for (absl::string_view line : absl::StrSplit(f.text, '\n')) {
      ++n;
      if (absl::StripAsciiWhitespace(line) == want) {
        return absl::StrCat(f.path, ":", n);
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> DebianKeyForMacro(absl::string_view content) {
  std::optional<MacroDefinition> m = ParseMacroDefinition(absl::StripAsciiWhitespace(content));
  if (!m) return std::nullopt;
  for (const auto& [macro, key] : kGeneratedMacros) {
    if (m->name == macro) return std::string(key);
  }
  return std::nullopt;
}

}  // namespace relayguard::agent::exim
