// Postfix lookup tables (agent/mta/postfix/table_parsers.h): cidr, regexp, pcre and texthash
// files, inline:/static: specifications, postmap -s output. A table is read or refused with an
// error naming its place ("PATH:LINE: ..." or "SPEC, rule N: ..."); every entry's line is one
// of the file's lines.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "agent/mta/postfix/table_parsers.h"
#include "agent/mta/postfix/table_patterns.h"
#include "agent/mta/postfix/table_text.h"
#include "fuzz/fuzz_check.h"

namespace pf = relayguard::agent::postfix;

namespace {

void CheckFile(const absl::StatusOr<std::vector<pf::TableEntry>>& entries, const std::string& text,
               const std::string& path) {
  if (!entries.ok()) {
    FUZZ_CHECK(absl::StartsWith(entries.status().message(), path + ":"),
               "error without the place: " + std::string(entries.status().message()));
    return;
  }
  const int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
  for (const pf::TableEntry& e : *entries) {
    FUZZ_CHECK(e.line >= 1 && e.line <= lines,
               path + ": entry " + e.pattern + " on line " + std::to_string(e.line));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  pf::TableOrigin origin{"/etc/postfix/fuzz", false};
  CheckFile(pf::ParseCidrTable(text, origin), text, origin.name);
  CheckFile(pf::ParseRegexTable(pf::RegexDialect::kPosix, text, origin), text, origin.name);
  CheckFile(pf::ParseRegexTable(pf::RegexDialect::kPcre, text, origin), text, origin.name);
  CheckFile(pf::ParseTexthashTable(text, origin), text, origin.name);
  std::vector<pf::TableEntry> dump = pf::ParsePostmapDump(text);
  pf::AssignSourceLines(text, dump);
  const pf::TableLines split = pf::SplitLogicalLines(text);
  for (const pf::LogicalLine& l : split.lines) FUZZ_CHECK(l.line >= 1, "logical line 0");
  // Inline specifications: the text is what follows "inline:", "static:", "cidr:".
  (void)pf::ParseInlineTable(text);
  (void)pf::ParseStaticTable(text);
  (void)pf::SplitBraceList(text, false);
  absl::StatusOr<std::string> rules = pf::InlineRulesText(text);
  if (rules.ok()) {
    pf::TableOrigin inline_origin{"cidr:" + text, true};
    absl::StatusOr<std::vector<pf::TableEntry>> cidr = pf::ParseCidrTable(*rules, inline_origin);
    if (cidr.ok()) {
      for (const pf::TableEntry& e : *cidr) FUZZ_CHECK(e.line == 0, "inline rule with a line");
    }
    (void)pf::ParseRegexTable(pf::RegexDialect::kPcre, *rules, inline_origin);
  }
  return 0;
}
