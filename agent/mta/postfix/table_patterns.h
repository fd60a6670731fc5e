// The patterns of Postfix's pattern tables as Postfix 3.7 parses and matches them: cidr_table(5)
// address patterns ("!192.0.2.0/24", "[2001:db8::]/32") and the delimited regular expressions
// of regexp_table(5) (POSIX regcomp, the engine Postfix uses) and pcre_table(5) (PCRE2, which
// Debian's postfix-pcre links), with their flags and "!" negation.
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_TABLE_PATTERNS_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_TABLE_PATTERNS_H_

#include <cstddef>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "common/cidr.h"

namespace relayguard::agent::postfix {

struct CidrPattern {
  Cidr network;
  bool negated = false;  // "!net": every address of the same family outside `network`
};

// Parses a cidr: pattern: any number of '!' (each toggles) and whitespace, then an address,
// "ADDR/LEN" or "[ADDR]/LEN" / "[ADDR/LEN]". The host bits must be zero, as Postfix requires.
// InvalidArgument in Postfix's words ("bad mask length in \"10.0.0.0/33\"").
absl::StatusOr<CidrPattern> ParseCidrPattern(absl::string_view text);

// The written form of a pattern with its negations folded: "!" + network text as written.
std::string FoldedCidrPattern(absl::string_view text);

enum class RegexDialect {
  kPosix,  // regexp: flags i (case-insensitive, on), x (extended, on), m (newline, off);
           // "/re1/!/re2/" (re1 matches and re2 does not) is accepted
  kPcre,   // pcre: flags i (on), s (dotall, on), m, x, A, E, U, X (ignored, as with PCRE2)
};

// Length of the pattern part at the start of a regexp:/pcre: rule ("!/^a/i OK" -> 6): the
// negations, the delimited expression, its flags and (kPosix) a second "!/re/flags".
// InvalidArgument in Postfix's words ("no closing regexp delimiter \"/\"", "unknown regexp
// option \"q\""). `allow_second`: false for "if" (Postfix ignores what follows its pattern).
absl::StatusOr<size_t> ScanRegexPattern(RegexDialect dialect, absl::string_view text,
                                        bool allow_second = true);

// The pattern part with its leading negations folded: "! ! /a/" -> "/a/", "!!!/a/" -> "!/a/".
std::string FoldedRegexPattern(absl::string_view pattern);

// One compiled regexp:/pcre: pattern as written in a table (its negations, flags and optional
// second pattern applied). Immutable; copies share the compiled code.
class TableRegex {
 public:
  // Longest pattern relayguard compiles (a longer one is unproven, not run).
  static constexpr size_t kMaxPatternBytes = 8192;

  // Compiles `written` (all of it must be the pattern: see ScanRegexPattern). InvalidArgument
  // with the engine's message when it does not compile.
  static absl::StatusOr<TableRegex> Compile(RegexDialect dialect, absl::string_view written);

  // Whether the rule applies to `subject`. An error when the engine gives up (PCRE2's match or
  // depth limit); Postfix then applies neither the rule nor its negation.
  absl::StatusOr<bool> Matches(absl::string_view subject) const;

  // Capturing groups of the first expression (the $1..$n a result may use).
  int capture_count() const;

 private:
  struct Engine;
  std::shared_ptr<const Engine> first_;
  std::shared_ptr<const Engine> second_;  // kPosix "/re1/!/re2/" only
  bool first_match_ = true;               // false: the expression must not match
  bool second_match_ = true;
};

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_TABLE_PATTERNS_H_
