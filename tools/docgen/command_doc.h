// A program's command line as plain data, read from the CLI11 App the program parses with: its
// commands, their options with help text, value, default and required-ness, descriptions and
// footers. The man pages and the bash completion are written from it (tools/docgen).
#ifndef RELAYGUARD_TOOLS_DOCGEN_COMMAND_DOC_H_
#define RELAYGUARD_TOOLS_DOCGEN_COMMAND_DOC_H_

#include <CLI/CLI.hpp>
#include <string>
#include <utility>
#include <vector>

namespace relayguard::docgen {

// What a shell can offer for an option's value.
enum class ValueKind { kNone, kText, kFile, kDirectory, kChoice };

struct OptionDoc {
  std::vector<std::string> names;  // {"-h", "--help"}; a positional: {"POLICY"}
  bool positional = false;
  std::string value;  // "HOST:PORT", "{auto, postfix}"; "" for a flag
  ValueKind kind = ValueKind::kNone;
  std::vector<std::string> choices;  // kChoice
  std::string default_value;         // "" when none
  std::string help;
  bool required = false;
  bool repeatable = false;
  std::vector<std::string> excludes;  // option names
};

struct CommandDoc {
  std::vector<std::string> path;  // {"relayguardctl", "rollout", "start"}
  std::string description;
  std::string footer;
  bool fallthrough = false;  // the enclosing commands' options may follow it
  bool needs_subcommand = false;
  std::vector<OptionDoc> options;  // as defined, positionals included
  std::vector<CommandDoc> commands;

  std::string Name() const;         // "relayguardctl rollout start"
  std::string CommandName() const;  // "rollout start"; "" for the program
};

// Reads `app` (and its commands, recursively). Hidden options and option groups are left out,
// as --help leaves them out.
CommandDoc DescribeCommand(const CLI::App& app, const std::vector<std::string>& parent = {});

// A footer split into its notes and its exit codes ("exit codes: 0 ok, 1 usage, ..."): the
// codes with their meanings, in order, and the notes without them (lines joined).
struct FooterParts {
  std::string notes;
  std::vector<std::pair<std::string, std::string>> exit_codes;  // {"0", "ok"}
  std::string exit_codes_text;                                  // "0 ok, 1 usage, ..." as one line
};
FooterParts SplitFooter(const std::string& footer);

// Every command below `root` (depth first, `root` excluded).
std::vector<const CommandDoc*> AllCommands(const CommandDoc& root);

}  // namespace relayguard::docgen

#endif  // RELAYGUARD_TOOLS_DOCGEN_COMMAND_DOC_H_
