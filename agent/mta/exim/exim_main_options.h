// The main-part options of an Exim configuration as the daemon reads them (spec 6.4-6.9):
// conditional directives (.ifdef/.ifndef/.elifdef/.elifndef/.else/.endif) evaluated against the
// macros defined earlier in the file and Exim's built-in macros, macros substituted into values,
// the last setting of an option in effect. What the listener derivation reads daemon_smtp_ports,
// local_interfaces and tls_on_connect_ports from.
#ifndef RELAYGUARD_AGENT_MTA_EXIM_EXIM_MAIN_OPTIONS_H_
#define RELAYGUARD_AGENT_MTA_EXIM_EXIM_MAIN_OPTIONS_H_

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include "absl/strings/string_view.h"
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/mta/exim/exim_config_text.h"

namespace relayguard::agent::exim {

struct MainOptionSetting {
  std::string raw;    // the value as written ("MAIN_LOCAL_INTERFACES")
  std::string value;  // with macros substituted ("127.0.0.1 : ::::1")
  size_t line = 0;    // physical index of the setting's first line
  // When the value is one macro standing alone: physical index of the definition in effect
  // (where a person changes the value).
  std::optional<size_t> macro_line;
};

// Every main-part option set in an active branch of `text`, by name (a leading "hide" dropped),
// the last setting winning. `builtin_macros`: the names Exim defines itself (_HAVE_TLS, ...), as
// `exim -bP macros` lists them; every other name is defined only by the file. Macro definitions,
// named lists and "begin" lines are not options. InvalidArgument ("PATH:LINE: ...") for a
// conditional directive without a name.
absl::StatusOr<std::map<std::string, MainOptionSetting>> ReadMainOptions(
    const ConfigText& text, const std::set<std::string>& builtin_macros = {});

// Every macro defined in an active branch of the main part of `text`, in definition order, with
// its value in effect at the end of the main part (earlier macros substituted).
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ActiveMacros(
    const ConfigText& text, const std::set<std::string>& builtin_macros = {});

// `value` with `macros` substituted, each in the order given (names, values).
std::string SubstituteMacros(std::string value,
                             const std::vector<std::pair<std::string, std::string>>& macros);

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_EXIM_MAIN_OPTIONS_H_
