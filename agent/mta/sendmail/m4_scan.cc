#include "agent/mta/sendmail/m4_scan.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/text_lines.h"

namespace relayguard::agent::sendmail {
namespace {

// The macros the scanner records calls of.
constexpr std::array<absl::string_view, 9> kRecordedMacros = {
    "FEATURE",           "HACK",          "MAILER", "MAILER_DEFINITIONS", "define", "RELAY_DOMAIN",
    "RELAY_DOMAIN_FILE", "DAEMON_OPTIONS", "TRUST_AUTH_MECH"};

bool IsRecorded(absl::string_view word) {
  return std::find(kRecordedMacros.begin(), kRecordedMacros.end(), word) != kRecordedMacros.end();
}

size_t NameEnd(absl::string_view text, size_t begin) {
  size_t end = begin;
  while (end < text.size() && IsNameChar(text[end])) ++end;
  return end;
}

absl::string_view TrimBlanks(absl::string_view v) {
  while (!v.empty() && (IsBlank(v.front()) || v.front() == '\r' || v.front() == '\n')) {
    v.remove_prefix(1);
  }
  while (!v.empty() && (IsBlank(v.back()) || v.back() == '\r' || v.back() == '\n')) {
    v.remove_suffix(1);
  }
  return v;
}

// `access_db' and ``access_db'' both name access_db once m4 has expanded them.
std::string Unquote(absl::string_view arg) {
  arg = TrimBlanks(arg);
  while (arg.size() >= 2 && arg.front() == '`' && arg.back() == '\'') {
    arg = TrimBlanks(arg.substr(1, arg.size() - 2));
  }
  return std::string(arg);
}

// Reads the argument list that starts after the '(' at `open`, as m4 reads it when it
// evaluates text at quote depth `base` (for a call inside quotes, when the enclosing text is
// rescanned). Fills call.name and call.end.
void ReadArguments(absl::string_view text, size_t open, int base, Call& call) {
  int quote = base;
  int depth = 1;
  int arg = 0;  // which argument the scanner is in (0: the first)
  std::string first_arg;
  std::string second_arg;
  size_t i = open + 1;
  while (i < text.size()) {
    const char c = text[i];
    if (quote > base) {
      if (c == '`') ++quote;
      if (c == '\'') --quote;
    } else if (c == '`') {
      ++quote;
    } else if (c == '\'' && base > 0) {
      break;  // closes the quotes around the call before the call closes: never closed
    } else if (c == '#') {
      i = text.find('\n', i);
      if (i == absl::string_view::npos) break;
      continue;
    } else if (IsNameStart(c)) {
      size_t end = NameEnd(text, i);
      if (text.substr(i, end - i) == "dnl") {
        i = AfterNewline(text, end);
        continue;
      }
      if (arg == 0) absl::StrAppend(&first_arg, text.substr(i, end - i));
      if (arg == 1) absl::StrAppend(&second_arg, text.substr(i, end - i));
      i = end;
      continue;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')' && --depth == 0) {
      call.end = i + 1;
      break;
    } else if (c == ',' && depth == 1) {
      ++arg;
      ++i;
      continue;
    }
    if (arg == 0) first_arg += c;
    if (arg == 1) second_arg += c;
    ++i;
  }
  call.name = Unquote(first_arg);
  call.second = Unquote(second_arg);
}

// Reads a file the way m4 does, one character or name at a time (see the header).
class M4Scanner {
 public:
  explicit M4Scanner(absl::string_view text) : text_(text) { scan_.line_start.push_back(state_); }

  M4Scan Run() && {
    while (i_ < text_.size()) {
      const char c = text_[i_];
      if (c == '\n') {
        ++i_;
        StartLine();
      } else if (IsNameStart(c)) {
        Name();
      } else if (state_.quote > 0) {
        if (c == '`') ++state_.quote;
        if (c == '\'') --state_.quote;
        if (c == '#') skipped_when_rescanned_ = true;
        ++i_;
      } else {
        Outside(c);
      }
    }
    if (!text_.empty() && text_.back() != '\n') scan_.line_start.push_back(state_);
    if (state_.quote > 0) {
      Problem("this quote (`) is never closed (m4 would stop with \"EOF in string\")", quote_line_);
    } else if (state_.paren > 0) {
      Problem("this argument list is never closed (m4 would stop with \"EOF in argument list\")",
              paren_line_);
    }
    return std::move(scan_);
  }

 private:
  void StartLine() {
    ++line_;
    scan_.line_start.push_back(state_);
    skipped_when_rescanned_ = false;
  }

  void Problem(std::string what, size_t line) {
    if (!scan_.problem.empty()) return;  // the first one is reported
    scan_.problem = std::move(what);
    scan_.problem_line = line;
  }

  // A name: dnl, a recorded macro call, or any other word.
  void Name() {
    const size_t end = NameEnd(text_, i_);
    const absl::string_view word = text_.substr(i_, end - i_);
    if (word == "dnl" && state_.quote == 0) {  // discards the rest of the line and its newline
      i_ = AfterNewline(text_, end);
      if (i_ > 0 && text_[i_ - 1] == '\n') StartLine();
      return;
    }
    if (word == "dnl") skipped_when_rescanned_ = true;
    if (state_.quote == 0 && (word == "changequote" || word == "changecom")) {
      Problem(absl::StrCat(word,
                           " changes how m4 reads the rest of the file; relayguard cannot edit "
                           "it safely, edit it by hand"),
              line_);
    }
    const bool opens = end < text_.size() && text_[end] == '(';
    if (IsRecorded(word) && !(state_.quote > 0 && skipped_when_rescanned_)) {
      Call call;
      call.macro = word;
      call.has_arguments = opens;
      call.line = line_;
      call.begin = i_;
      call.quoted = state_.quote > 0;
      call.in_arguments = state_.quote == 0 && state_.paren > 0;
      if (opens) {
        ReadArguments(text_, end, state_.quote, call);
      } else {
        call.end = end;
      }
      scan_.calls.push_back(std::move(call));
    }
    i_ = end;
    if (opens && state_.quote == 0) {
      if (state_.paren++ == 0) paren_line_ = line_;
      ++i_;
    }
  }

  // A character outside quotes that does not start a name.
  void Outside(char c) {
    if (c == '#') {  // a comment, up to the newline
      i_ = text_.find('\n', i_);
      if (i_ == absl::string_view::npos) i_ = text_.size();
      return;
    }
    if (c == '`') {
      state_.quote = 1;
      quote_line_ = line_;
    } else if (c == '(' && state_.paren > 0) {
      ++state_.paren;
    } else if (c == ')' && state_.paren > 0) {
      --state_.paren;
    }
    ++i_;
  }

  const absl::string_view text_;
  M4Scan scan_;
  M4State state_;
  size_t i_ = 0;
  size_t line_ = 0;
  size_t quote_line_ = 0;  // where the outermost open quote began
  size_t paren_line_ = 0;  // where the outermost open argument list began
  // Inside quotes, after '#' or dnl on the current line: m4 skips the rest of the line when it
  // rescans the quoted text, so calls there are not recorded.
  bool skipped_when_rescanned_ = false;
};

}  // namespace

M4Scan ScanM4(absl::string_view text) { return M4Scanner(text).Run(); }

}  // namespace relayguard::agent::sendmail
