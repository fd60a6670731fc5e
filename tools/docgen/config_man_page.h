// A configuration file's man page (section 5), written from the shipped, fully commented file
// (deploy/etc/*.yaml): the leading comment is the description, "# --- TITLE ---" lines are the
// section headings, each key is listed with the comment above it and its default (a key that is
// commented out has no default; its value is an example).
#ifndef RELAYGUARD_TOOLS_DOCGEN_CONFIG_MAN_PAGE_H_
#define RELAYGUARD_TOOLS_DOCGEN_CONFIG_MAN_PAGE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/docgen/program_man_page.h"

namespace relayguard::docgen {

struct ConfigKey {
  std::string key;    // "state_dir"
  std::string value;  // "/var/lib/relayguard"
  bool set = true;    // false: commented out, `value` is an example
};

// One key (or a few that share their comment), its comment and any commented example lines.
struct ConfigEntry {
  std::vector<ConfigKey> keys;
  std::vector<std::string> text;     // the comment, one paragraph per element
  std::vector<std::string> example;  // "labels:", "  site: fra1"
};

struct ConfigSection {
  std::string title;  // "" before the first heading
  std::vector<ConfigEntry> entries;
};

struct ConfigDoc {
  std::string path;                      // "/etc/relayguard/agent.yaml"
  std::string summary;                   // "the configuration of relayguard-agent"
  std::vector<std::string> description;  // paragraphs
  std::vector<ConfigSection> sections;
};

// Reads the commented YAML `text` of `file` (named in errors). A comment line "# KEY: VALUE" is a
// commented-out key when KEY is one of `keys` (the file's schema; empty: any lower_case word)
// and VALUE is one word, a quoted string or nothing; otherwise it is prose. InvalidArgument "FILE:LINE: ..."
// when the file does not start with "# PATH: SUMMARY" or a line is not a comment, a key or a
// key's continuation.
absl::StatusOr<ConfigDoc> ParseCommentedConfig(const std::string& text, const std::string& file,
                                               const std::vector<std::string>& keys = {});

// The page `page_name`(info.section), e.g. "relayguard-agent.yaml".
std::string ConfigManPage(const ConfigDoc& doc, const std::string& page_name,
                          const ManPageInfo& info);

}  // namespace relayguard::docgen

#endif  // RELAYGUARD_TOOLS_DOCGEN_CONFIG_MAN_PAGE_H_
