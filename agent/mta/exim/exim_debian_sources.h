// Debian's generated configuration (update-exim4.conf) traced back to the files a person edits:
// a line of the generated file comes from a conf.d file (split configuration) or
// exim4.conf.template, and the macros update-exim4.conf writes itself (MAIN_LOCAL_INTERFACES,
// MAIN_RELAY_NETS, ...) come from a dc_* line of update-exim4.conf.conf. Pure.
#ifndef RELAYGUARD_AGENT_MTA_EXIM_EXIM_DEBIAN_SOURCES_H_
#define RELAYGUARD_AGENT_MTA_EXIM_EXIM_DEBIAN_SOURCES_H_

#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace relayguard::agent::exim {

struct SourceFile {
  std::string path;
  std::string text;
};

// "PATH:LINE" of the first line of `sources` (in order) that reads like `content` (white space
// around it ignored); nullopt when none does or `content` is blank.
std::optional<std::string> LocateInSources(absl::string_view content,
                                           const std::vector<SourceFile>& sources);

// The update-exim4.conf.conf key whose value update-exim4.conf writes as the macro that
// generated line `content` defines ("MAIN_LOCAL_INTERFACES=127.0.0.1" -> "dc_local_interfaces");
// nullopt for any other line.
std::optional<std::string> DebianKeyForMacro(absl::string_view content);

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_EXIM_DEBIAN_SOURCES_H_
