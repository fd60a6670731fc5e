// Postfix main.cf: a parser/renderer that reproduces an untouched file byte for byte and edits
// only the parameters it is asked to (postconf(5) syntax: a logical line starts with non-space
// text, a line starting with whitespace continues it, blank and '#' lines are ignored and may sit
// between continuation lines, a key defined twice takes the last value, `$name` stays literal).
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_MAIN_CF_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_MAIN_CF_H_

#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace relayguard::agent::postfix {

class MainCf {
 public:
  // Never fails: a line that is not `key = value` is kept verbatim (postconf judges it later).
  static MainCf Parse(absl::string_view text);

  // The file text. Parse(x).Render() == x for every x.
  std::string Render() const;

  // The value of the last definition of `key`, continuation lines joined by single spaces,
  // surrounding whitespace trimmed. nullopt when not defined.
  std::optional<std::string> Get(absl::string_view key) const;

  // Sets `key`. If defined, rewrites the last definition in place as `key<sep>value` keeping
  // the original spacing around '=' and dropping its continuation lines (comments between them
  // stay); earlier definitions are left alone. If not defined, appends `key = value` at the end
  // (adding a newline first if the file lacks one). No-op when Get(key) already equals `value`.
  void Set(absl::string_view key, absl::string_view value);

  // Keys in order of first definition.
  std::vector<std::string> Keys() const;

  // 1-based line of the last definition of `key`; nullopt when not defined.
  std::optional<int> Line(absl::string_view key) const;

  // The value of the last definition of `key` exactly as written: from its first byte after
  // "key = " to the end of its last continuation line (line endings and comment lines between
  // included, the final line ending not). For a ListText edit. nullopt when not defined.
  std::optional<std::string> RawValue(absl::string_view key) const;

  // Replaces what RawValue(key) returns with `raw` (which may span lines), every other byte
  // kept. If `key` is not defined, appends `key = raw` like Set.
  void SetRawValue(absl::string_view key, absl::string_view raw);

 private:
  std::vector<std::string> lines_;  // physical lines, each with its line ending (last may lack)
};

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_MAIN_CF_H_
