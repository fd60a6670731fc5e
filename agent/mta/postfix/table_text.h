// The text layer shared by Postfix table files and inline table specifications: logical lines
// as Postfix's readllines() builds them, and the brace lists of "inline:{ a=b, { c = d } }" and
// "cidr:{ {rule}, {rule} }" (Postfix 3.7). Pure functions.
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_TABLE_TEXT_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_TABLE_TEXT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace relayguard::agent::postfix {

// Postfix's ISSPACE: space, \t, \n, \v, \f, \r.
bool IsTableSpace(char c);
// `text` without leading and trailing IsTableSpace characters.
absl::string_view TrimTableSpace(absl::string_view text);

struct LogicalLine {
  int line = 0;      // 1-based number of its first physical line
  std::string text;  // its physical lines concatenated (newlines dropped, indentation kept)
};

struct TableLines {
  std::vector<LogicalLine> lines;
  // Text that starts with whitespace with no line before it to continue (Postfix warns
  // "logical line must not start with whitespace" and skips it).
  std::vector<LogicalLine> orphans;
};

// Splits a table file into logical lines: a line whose first character is whitespace continues
// the logical line before it; empty, whitespace-only and comment lines (first non-whitespace
// character '#') are skipped and do not end a logical line.
TableLines SplitLogicalLines(absl::string_view text);

// The items of a brace list "{ item, item {nested} , { item with spaces } }": the outer braces
// are required and nothing may follow them; items are separated by commas and whitespace
// outside braces. An item that starts with '{' must be one brace group and is returned without
// its braces and surrounding whitespace; other items are returned as written. InvalidArgument
// for unbalanced braces or text after a closing brace. `require_braced_items`: every item must
// be a brace group (rules of cidr:{...}, regexp:{...}, pcre:{...}).
absl::StatusOr<std::vector<std::string>> SplitBraceList(absl::string_view text,
                                                        bool require_braced_items);

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_TABLE_TEXT_H_
