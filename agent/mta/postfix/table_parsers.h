// Pure parsers from the text of a Postfix table (a file, an inline specification, postmap -s
// output) to its entries (lookup_table.h), with Postfix 3.7's syntax and error handling: a rule
// Postfix skips with a warning is an InvalidArgument naming the place ("PATH:LINE: ..."), a rule
// Postfix keeps with a warning is read as Postfix uses it.
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_TABLE_PARSERS_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_TABLE_PARSERS_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "agent/mta/postfix/lookup_table.h"
#include "agent/mta/postfix/table_patterns.h"

namespace relayguard::agent::postfix {

// Where the text came from, for messages: a file ("/etc/postfix/x.cidr:12: ...") or the rules
// of an inline specification ("cidr:{...}, rule 2: ..."; entries then get line 0).
struct TableOrigin {
  std::string name;
  bool inline_rules = false;

  std::string At(int line) const;
};

// cidr_table(5): "[!]pattern result", "if [!]pattern" ... "endif".
absl::StatusOr<std::vector<TableEntry>> ParseCidrTable(absl::string_view text,
                                                       const TableOrigin& origin);

// regexp_table(5) / pcre_table(5): "[!]/re/flags result", "if [!]/re/flags" ... "endif";
// every pattern is compiled (a rule that does not compile is skipped by Postfix) and $n in a
// result is checked as Postfix checks it.
absl::StatusOr<std::vector<TableEntry>> ParseRegexTable(RegexDialect dialect, absl::string_view text,
                                                        const TableOrigin& origin);

// texthash: and postmap(1) input: "key whitespace value"; a key may be quoted ("a b") or use
// backslash escapes and is kept as written.
absl::StatusOr<std::vector<TableEntry>> ParseTexthashTable(absl::string_view text,
                                                           const TableOrigin& origin);

// The rule lines of "cidr:{ {rule}, {rule} }" (the NAME after "cidr:"), one per line, as
// Postfix writes them to its in-memory file.
absl::StatusOr<std::string> InlineRulesText(absl::string_view name);

// inline:{ key=value, { key = value } } (NAME is the text after "inline:").
absl::StatusOr<std::vector<TableEntry>> ParseInlineTable(absl::string_view name);

// static:VALUE or static:{ VALUE } : one entry with pattern "" (every key).
absl::StatusOr<std::vector<TableEntry>> ParseStaticTable(absl::string_view name);

// The output of `postmap -s`: one "key<TAB>value" line per entry; lines are 0.
std::vector<TableEntry> ParsePostmapDump(absl::string_view output);

// Gives each entry the first line of `source` (the postmap input file of an indexed table)
// whose key, folded to lower case as postmap folds it, equals the entry's key; 0 when none
// does. Lines of `source` that postmap would skip are ignored.
void AssignSourceLines(absl::string_view source, std::vector<TableEntry>& entries);

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_TABLE_PARSERS_H_
