#include "agent/mta/postfix/table_patterns.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <regex.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agent/mta/postfix/table_text.h"

namespace relayguard::agent::postfix {
namespace {

// PCRE2 gives up on a pathological pattern instead of running for minutes: the samples are
// short, so an honest pattern never comes near these.
constexpr uint32_t kPcreMatchLimit = 1000000;
constexpr uint32_t kPcreDepthLimit = 100000;

// glibc's regcomp copies the parse tree for each repetition: `a{1000}{1000}` or `a+++...+`
// (each + doubles it) take minutes and gigabytes. A pattern whose copies would exceed this many
// atoms is refused before regcomp (Postfix, on the same regcomp, would hang loading it).
constexpr uint64_t kMaxPosixRegexCopies = 100000;

// An upper estimate of the atoms regcomp builds for the ERE `re`: sequences add, a repeated atom
// or group counts once per copy (`{n,m}`: max(n, m) + 1 copies, `+` and `?` 2, `*` 1).
uint64_t PosixRegexCopies(absl::string_view re) {
  struct Group {
    uint64_t total = 0;  // atoms of the group so far
    uint64_t last = 0;   // atoms of its last item (what a repetition copies)
  };
  std::vector<Group> stack(1);
  auto capped = [](uint64_t v) { return std::min<uint64_t>(v, kMaxPosixRegexCopies + 1); };
  auto atom = [&](uint64_t n) {
    stack.back().last = n;
    stack.back().total = capped(stack.back().total + n);
  };
  auto repeat = [&](uint64_t copies) {
    Group& g = stack.back();
    const uint64_t extra = capped(g.last * (copies > 0 ? copies - 1 : 0));
    g.total = capped(g.total + extra);
    g.last = capped(g.last * std::max<uint64_t>(copies, 1));
  };
  for (size_t i = 0; i < re.size(); ++i) {
    const char c = re[i];
    if (c == '\\') {
      ++i;
      atom(1);
    } else if (c == '[') {  // a bracket expression is one atom: skip to its ']'
      size_t j = i + 1;
      if (j < re.size() && re[j] == '^') ++j;
      if (j < re.size() && re[j] == ']') ++j;
      while (j < re.size() && re[j] != ']') {
        if (re[j] == '[' && j + 1 < re.size() && (re[j + 1] == ':' || re[j + 1] == '.' ||
                                                  re[j + 1] == '=')) {
          const size_t close = re.find(std::string{re[j + 1], ']'}, j + 2);
          j = close == absl::string_view::npos ? re.size() : close + 2;
        } else {
          ++j;
        }
      }
      i = j;
      atom(1);
    } else if (c == '(') {
      stack.emplace_back();
    } else if (c == ')' && stack.size() > 1) {
      const uint64_t inner = stack.back().total;
      stack.pop_back();
      atom(std::max<uint64_t>(inner, 1));
    } else if (c == '*') {
      repeat(1);
    } else if (c == '+' || c == '?') {
      repeat(2);
    } else if (c == '{') {
      uint64_t high = 0, number = 0;
      size_t j = i + 1;
      for (; j < re.size() && re[j] != '}'; ++j) {
        if (absl::ascii_isdigit(static_cast<unsigned char>(re[j]))) {
          number = capped(number * 10 + static_cast<uint64_t>(re[j] - '0'));
          high = std::max(high, number);
        } else {
          number = 0;
        }
      }
      i = j;
      repeat(high + 1);
    } else if (c != '|' && c != '^' && c != '$') {
      atom(1);
    }
  }
  uint64_t total = 0;
  for (const Group& g : stack) total = capped(total + g.total);
  return total;
}

absl::Status CidrError(absl::string_view what, absl::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat(what, " \"", text, "\""));
}

// Leading '!' (each toggles) and whitespace of a pattern; returns where the pattern proper
// starts and sets `negated`.
size_t SkipNegations(absl::string_view text, bool& negated) {
  negated = false;
  size_t i = 0;
  for (; i < text.size(); ++i) {
    if (text[i] == '!') {
      negated = !negated;
    } else if (!IsTableSpace(text[i])) {
      break;
    }
  }
  return i;
}

bool AllDigits(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// The flags a pattern may carry; each toggles its option.
struct RegexFlag {
  char flag;
  uint32_t option;
};
constexpr RegexFlag kPosixFlags[] = {{'i', REG_ICASE}, {'m', REG_NEWLINE}, {'x', REG_EXTENDED}};
constexpr RegexFlag kPcreFlags[] = {
    {'i', PCRE2_CASELESS}, {'m', PCRE2_MULTILINE},
    {'s', PCRE2_DOTALL},   {'x', PCRE2_EXTENDED},
    {'A', PCRE2_ANCHORED}, {'E', PCRE2_DOLLAR_ENDONLY},
    {'U', PCRE2_UNGREEDY}, {'X', 0},  // PCRE_EXTRA has no PCRE2 equivalent; Postfix ignores it
};

// One delimited expression with its flags, as Postfix's dict_regexp_get_pat() and
// dict_pcre_get_pattern() read it.
struct RegexPiece {
  size_t end = 0;  // just after the flags
  bool match = true;
  std::string expression;
  uint32_t options = 0;  // REG_* or PCRE2_* bits
};

absl::StatusOr<RegexPiece> ParseRegexPiece(RegexDialect dialect, absl::string_view text,
                                           size_t pos) {
  RegexPiece piece;
  bool negated = false;
  pos += SkipNegations(text.substr(pos), negated);
  piece.match = !negated;
  if (pos >= text.size()) return absl::InvalidArgumentError("no regexp");
  const char delimiter = text[pos++];
  const size_t start = pos;
  bool closed = false;
  while (pos < text.size()) {
    if (text[pos] == '\\') {
      if (pos + 1 >= text.size()) {
        // regexp: ends the expression at a final backslash as if it were the delimiter;
        // pcre: finds no delimiter.
        closed = dialect == RegexDialect::kPosix;
        break;
      }
      pos += 2;
      continue;
    }
    if (text[pos] == delimiter) {
      closed = true;
      break;
    }
    ++pos;
  }
  if (!closed) {
    return absl::InvalidArgumentError(
        absl::StrCat("no closing regexp delimiter \"", std::string(1, delimiter), "\""));
  }
  piece.expression = std::string(text.substr(start, pos - start));
  ++pos;
  piece.options = dialect == RegexDialect::kPosix ? uint32_t{REG_EXTENDED | REG_ICASE}
                                                  : uint32_t{PCRE2_CASELESS | PCRE2_DOTALL};
  for (; pos < text.size() && !IsTableSpace(text[pos]); ++pos) {
    const char flag = text[pos];
    if (dialect == RegexDialect::kPosix && flag == '!') break;  // a second pattern follows
    const RegexFlag* known = nullptr;
    const std::span<const RegexFlag> flags =
        dialect == RegexDialect::kPosix ? std::span<const RegexFlag>(kPosixFlags) : kPcreFlags;
    for (const RegexFlag& candidate : flags) {
      if (candidate.flag == flag) known = &candidate;
    }
    if (known == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown regexp option \"", std::string(1, flag), "\""));
    }
    piece.options ^= known->option;
  }
  piece.end = pos;
  return piece;
}

}  // namespace

absl::StatusOr<CidrPattern> ParseCidrPattern(absl::string_view text) {
  CidrPattern out;
  absl::string_view pattern = TrimTableSpace(text.substr(SkipNegations(text, out.negated)));
  if (pattern.empty()) return absl::InvalidArgumentError("no address pattern");
  absl::string_view address = pattern;
  absl::string_view mask;
  bool has_mask = false;
  if (pattern[0] == '[') {
    const size_t close = pattern.find(']');
    if (close == absl::string_view::npos) {
      return CidrError("missing ']' character after", pattern);
    }
    const absl::string_view inside = pattern.substr(1, close - 1);
    const absl::string_view after = pattern.substr(close + 1);
    if (after.empty()) {
      address = inside;  // "[addr]" or "[addr/len]"
    } else if (after[0] == '/') {
      address = inside;
      mask = after.substr(1);
      has_mask = true;
    } else {
      return CidrError("garbage after", pattern);
    }
  }
  if (!has_mask) {
    const size_t slash = address.find('/');
    if (slash != absl::string_view::npos) {
      mask = address.substr(slash + 1);
      address = address.substr(0, slash);
      has_mask = true;
    }
  }
  const bool v6 = address.find(':') != absl::string_view::npos;
  const int bits = v6 ? 128 : 32;
  absl::StatusOr<IpAddress> ip = ParseIpAddress(address);
  const bool family_ok = ip.ok() && (ip->family == IpFamily::kV6) == v6;
  if (!has_mask) {
    if (!family_ok) return CidrError("bad address pattern:", pattern);
    out.network = Cidr{*ip, bits};
    return out;
  }
  const std::string written = absl::StrCat(address, "/", mask);
  if (!AllDigits(mask)) return CidrError("bad mask value in", written);
  // Digits beyond the third cannot give a valid length; stop before int overflow.
  const int length = mask.size() > 3 ? bits + 1 : std::stoi(std::string(mask));
  if (length > bits) return CidrError("bad mask length in", written);
  if (!family_ok) return CidrError("bad network value in", written);
  Cidr network{*ip, length};
  Cidr zeroed = network;
  for (int bit = length; bit < bits; ++bit) {
    zeroed.address.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  }
  if (!(zeroed == network)) {
    return absl::InvalidArgumentError(
        absl::StrCat("non-null host address bits in \"", written, "\", perhaps you should use \"",
                 zeroed.address.ToString(), "/", length, "\" instead"));
  }
  out.network = network;
  return out;
}

std::string FoldedCidrPattern(absl::string_view text) {
  bool negated = false;
  const size_t start = SkipNegations(text, negated);
  return absl::StrCat(negated ? "!" : "", TrimTableSpace(text.substr(start)));
}

absl::StatusOr<size_t> ScanRegexPattern(RegexDialect dialect, absl::string_view text,
                                        bool allow_second) {
  absl::StatusOr<RegexPiece> first = ParseRegexPiece(dialect, text, 0);
  if (!first.ok()) return first.status();
  size_t end = first->end;
  if (allow_second && dialect == RegexDialect::kPosix && end < text.size() && text[end] == '!') {
    absl::StatusOr<RegexPiece> second = ParseRegexPiece(dialect, text, end);
    if (!second.ok()) return second.status();
    end = second->end;
  }
  return end;
}

std::string FoldedRegexPattern(absl::string_view pattern) {
  bool negated = false;
  const size_t start = SkipNegations(pattern, negated);
  return absl::StrCat(negated ? "!" : "", pattern.substr(start));
}

struct TableRegex::Engine {
  RegexDialect dialect = RegexDialect::kPosix;
  regex_t posix{};
  bool has_posix = false;
  pcre2_code* pcre = nullptr;
  int captures = 0;

  Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine() {
    if (has_posix) regfree(&posix);
    if (pcre != nullptr) pcre2_code_free(pcre);
  }

  static absl::StatusOr<std::shared_ptr<const Engine>> Build(RegexDialect dialect,
                                                             const RegexPiece& piece) {
    auto engine = std::make_shared<Engine>();
    engine->dialect = dialect;
    if (piece.expression.size() > kMaxPatternBytes) {
      return absl::InvalidArgumentError(absl::StrCat("pattern of ", piece.expression.size(),
                                                 " bytes is longer than relayguard evaluates (",
                                                 kMaxPatternBytes, ")"));
    }
    if (dialect == RegexDialect::kPosix) {
      if (PosixRegexCopies(piece.expression) > kMaxPosixRegexCopies) {
        return absl::InvalidArgumentError(absl::StrCat(
            "pattern repeats too much for regcomp (over ", kMaxPosixRegexCopies,
            " copies of its parts); relayguard does not evaluate it"));
      }
      const int error =
          regcomp(&engine->posix, piece.expression.c_str(), static_cast<int>(piece.options));
      if (error != 0) {
        char message[256];
        regerror(error, &engine->posix, message, sizeof(message));
        return absl::InvalidArgumentError(message);
      }
      engine->has_posix = true;
      engine->captures = static_cast<int>(engine->posix.re_nsub);
      return engine;
    }
    int error = 0;
    PCRE2_SIZE offset = 0;
    engine->pcre = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(piece.expression.data()),
                                 piece.expression.size(), piece.options, &error, &offset, nullptr);
    if (engine->pcre == nullptr) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error, message, sizeof(message));
      return absl::InvalidArgumentError(absl::StrCat("error in regex at offset ", offset, ": ",
                                                 reinterpret_cast<const char*>(message)));
    }
    uint32_t captures = 0;
    pcre2_pattern_info(engine->pcre, PCRE2_INFO_CAPTURECOUNT, &captures);
    engine->captures = static_cast<int>(captures);
    return engine;
  }

  absl::StatusOr<bool> Run(absl::string_view subject) const {
    if (dialect == RegexDialect::kPosix) {
      const std::string text(subject);
      const int result = regexec(&posix, text.c_str(), 0, nullptr, 0);
      if (result == 0) return true;
      if (result == REG_NOMATCH) return false;
      return absl::ResourceExhaustedError("regexec failed");
    }
    std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data(
        pcre2_match_data_create_from_pattern(pcre, nullptr), &pcre2_match_data_free);
    std::unique_ptr<pcre2_match_context, decltype(&pcre2_match_context_free)> context(
        pcre2_match_context_create(nullptr), &pcre2_match_context_free);
    if (data == nullptr || context == nullptr) {
      return absl::ResourceExhaustedError("out of memory for a PCRE2 match");
    }
    pcre2_set_match_limit(context.get(), kPcreMatchLimit);
    pcre2_set_depth_limit(context.get(), kPcreDepthLimit);
    const int result = pcre2_match(pcre, reinterpret_cast<PCRE2_SPTR>(subject.data()),
                                   subject.size(), 0, 0, data.get(), context.get());
    if (result >= 0) return true;
    if (result == PCRE2_ERROR_NOMATCH) return false;
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(result, message, sizeof(message));
    return absl::ResourceExhaustedError(
        absl::StrCat("PCRE2 gave up: ", reinterpret_cast<const char*>(message)));
  }
};

absl::StatusOr<TableRegex> TableRegex::Compile(RegexDialect dialect, absl::string_view written) {
  written = TrimTableSpace(written);
  absl::StatusOr<RegexPiece> first = ParseRegexPiece(dialect, written, 0);
  if (!first.ok()) return first.status();
  TableRegex out;
  out.first_match_ = first->match;
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Build(dialect, *first);
  if (!engine.ok()) return engine.status();
  out.first_ = *std::move(engine);
  size_t end = first->end;
  if (dialect == RegexDialect::kPosix && end < written.size() && written[end] == '!') {
    absl::StatusOr<RegexPiece> second = ParseRegexPiece(dialect, written, end);
    if (!second.ok()) return second.status();
    out.second_match_ = second->match;
    absl::StatusOr<std::shared_ptr<const Engine>> second_engine = Engine::Build(dialect, *second);
    if (!second_engine.ok()) return second_engine.status();
    out.second_ = *std::move(second_engine);
    end = second->end;
  }
  if (end != written.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("text after the pattern: \"", written.substr(end), "\""));
  }
  return out;
}

absl::StatusOr<bool> TableRegex::Matches(absl::string_view subject) const {
  absl::StatusOr<bool> first = first_->Run(subject);
  if (!first.ok()) return first.status();
  if (*first != first_match_) return false;
  if (second_ == nullptr) return true;
  absl::StatusOr<bool> second = second_->Run(subject);
  if (!second.ok()) return second.status();
  return *second == second_match_;
}

int TableRegex::capture_count() const { return first_->captures; }

}  // namespace relayguard::agent::postfix
