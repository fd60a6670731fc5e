#include "agent/mta/sendmail/sendmail_mc_auth.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/mta/sendmail/daemon_options.h"
#include "agent/mta/sendmail/m4_scan.h"
#include "common/status_macros.h"
#include "common/text_lines.h"

namespace relayguard::agent::sendmail {
namespace {

absl::Status Refuse(absl::string_view path, size_t line_index, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ":", line_index + 1, ": ", what, " — nothing was changed"));
}

bool InEffect(const Call& call) { return !call.quoted && !call.in_arguments; }

std::set<std::string> Words(absl::string_view list) {
  std::set<std::string> set;
  for (absl::string_view w : absl::StrSplit(list, absl::ByAnyChar(" \t,"), absl::SkipEmpty())) {
    set.insert(absl::AsciiStrToUpper(w));
  }
  return set;
}

// The raw text of argument `index` (0-based) of `call`, quotes included, blanks around it
// excluded, as offsets into `text`; nullopt when the call has no such argument.
std::optional<std::pair<size_t, size_t>> ArgumentSpan(absl::string_view text, const Call& call,
                                                      int index) {
  if (!call.end || !call.has_arguments) return std::nullopt;
  size_t i = text.find('(', call.begin);
  if (i == absl::string_view::npos || i >= *call.end) return std::nullopt;
  ++i;
  int arg = 0;
  int quote = 0;
  int depth = 1;
  size_t begin = i;
  for (; i < *call.end; ++i) {
    const char c = text[i];
    if (quote > 0) {
      if (c == '`') ++quote;
      if (c == '\'') --quote;
      continue;
    }
    if (c == '`') {
      ++quote;
    } else if (c == '(') {
      ++depth;
    } else if ((c == ',' && depth == 1) || (c == ')' && --depth == 0)) {
      if (arg == index) {
        size_t b = begin;
        size_t e = i;
        while (b < e && absl::ascii_isspace(static_cast<unsigned char>(text[b]))) ++b;
        while (e > b && absl::ascii_isspace(static_cast<unsigned char>(text[e - 1]))) --e;
        return std::make_pair(b, e);
      }
      if (c == ')') break;
      ++arg;
      begin = i + 1;
    }
  }
  return std::nullopt;
}

// A change to the text: [begin, end) becomes `with` (begin == end: an insertion).
struct Splice {
  size_t begin = 0;
  size_t end = 0;
  std::string with;
};

class McAuthEditor {
 public:
  McAuthEditor(absl::string_view text, absl::string_view path, const McAuthWant& want)
      : text_(text), path_(path), want_(want), lines_(SplitTextLines(text)), scan_(ScanM4(text)) {}

  absl::StatusOr<SendmailEdit> Run() {
    if (!scan_.problem.empty()) return Refuse(path_, scan_.problem_line, scan_.problem);
    const Call* mechanisms = LastDefine("confAUTH_MECHANISMS");
    const Call* options = LastDefine("confAUTH_OPTIONS");
    RETURN_IF_ERROR(Mechanisms(mechanisms));
    TrustAuthMech();
    RETURN_IF_ERROR(AuthOptions(options));
    RETURN_IF_ERROR(Daemons());
    SendmailEdit edit;
    edit.warnings = std::move(warnings_);
    edit.changed = std::move(changed_);
    edit.text = Apply();
    return edit;
  }

 private:
  const Call* LastDefine(absl::string_view name) const {
    const Call* last = nullptr;
    for (const Call& c : scan_.calls) {
      if (c.macro == "define" && c.name == name && InEffect(c)) last = &c;
    }
    return last;
  }
  const Call* AnyDefine(absl::string_view name) const {
    for (const Call& c : scan_.calls) {
      if (c.macro == "define" && c.name == name) return &c;
    }
    return nullptr;
  }

  // Where new lines go: the first line of the statement holding the first MAILER call.
  size_t InsertLine() const {
    for (const Call& c : scan_.calls) {
      if ((c.macro == "MAILER" && c.has_arguments) || c.macro == "MAILER_DEFINITIONS") {
        size_t line = c.line;
        while (line > 0 && !(scan_.line_start[line] == M4State{})) --line;
        return line;
      }
    }
    return lines_.size();
  }

  void Insert(std::string line, std::string change) {
    inserted_.push_back(std::move(line));
    changed_.push_back(std::move(change));
  }

  // Replaces the second argument of `call` with `value`.
  absl::Status SetSecond(const Call& call, const std::string& value) {
    std::optional<std::pair<size_t, size_t>> span = ArgumentSpan(text_, call, 1);
    if (!span) {
      return Refuse(path_, call.line,
                    absl::StrCat("define(`", call.name, "') has no value relayguard can replace"));
    }
    splices_.push_back({span->first, span->second, absl::StrCat("`", value, "'")});
    changed_.push_back(absl::StrCat("define(", call.name, ", ", value, ")"));
    return absl::OkStatus();
  }

  absl::Status Mechanisms(const Call* define) {
    const std::string value = absl::StrJoin(want_.mechanisms, " ");
    if (define == nullptr) {
      Insert(absl::StrCat("define(`confAUTH_MECHANISMS', `", value, "')dnl"),
             absl::StrCat("define(confAUTH_MECHANISMS, ", value, ")"));
      return absl::OkStatus();
    }
    if (Words(define->second) == Words(value)) return absl::OkStatus();
    return SetSecond(*define, value);
  }

  void TrustAuthMech() {
    std::set<std::string> trusted;
    for (const Call& c : scan_.calls) {
      if (c.macro == "TRUST_AUTH_MECH" && InEffect(c)) {
        std::set<std::string> words = Words(c.name);
        trusted.insert(words.begin(), words.end());
      }
    }
    std::vector<std::string> missing;
    for (const std::string& m : want_.mechanisms) {
      if (!trusted.count(absl::AsciiStrToUpper(m))) missing.push_back(m);
    }
    if (missing.empty()) return;
    const std::string value = absl::StrJoin(missing, " ");
    Insert(absl::StrCat("TRUST_AUTH_MECH(`", value, "')dnl"),
           absl::StrCat("TRUST_AUTH_MECH(", value, ")"));
  }

  absl::Status AuthOptions(const Call* define) {
    if (define == nullptr) {
      if (want_.tls_only) {
        Insert("define(`confAUTH_OPTIONS', `p,y')dnl", "define(confAUTH_OPTIONS, p,y)");
      }
      return absl::OkStatus();
    }
    const bool has_p = AuthOptionLetters(define->second).find('p') != std::string::npos;
    if (has_p == want_.tls_only) return absl::OkStatus();
    std::vector<std::string> words;
    for (absl::string_view w :
         absl::StrSplit(define->second, absl::ByAnyChar(" \t,"), absl::SkipEmpty())) {
      if (w.front() != 'p') words.emplace_back(w);
    }
    if (want_.tls_only) words.emplace_back("p");
    return SetSecond(*define, absl::StrJoin(words, ","));
  }

  absl::Status Daemons() {
    for (const auto& [line, offers] : want_.daemon_offers_auth) {
      const Call* call = nullptr;
      for (const Call& c : scan_.calls) {
        if (c.macro == "DAEMON_OPTIONS" && c.line + 1 == line) call = &c;
      }
      if (call == nullptr) {
        return Refuse(path_, line - 1, "no DAEMON_OPTIONS call on this line");
      }
      std::optional<std::pair<size_t, size_t>> span = ArgumentSpan(text_, *call, 0);
      if (!span) return Refuse(path_, call->line, "DAEMON_OPTIONS without an argument");
      absl::string_view raw = text_.substr(span->first, span->second - span->first);
      const bool quoted = raw.size() >= 2 && raw.front() == '`' && raw.back() == '\'';
      if (quoted) raw = raw.substr(1, raw.size() - 2);
      const std::string edited = WithAuthModifier(raw, offers);
      if (edited == raw) continue;
      splices_.push_back({span->first, span->second,
                          quoted ? absl::StrCat("`", edited, "'") : edited});
      const DaemonPortOptions d = ParseDaemonPortOptions(call->name);
      changed_.push_back(absl::StrCat("DAEMON_OPTIONS(", d.name.empty() ? call->name : d.name,
                                      ") ", offers ? "-M=A" : "+M=A"));
      if (!InEffect(*call)) {
        warnings_.push_back(absl::StrCat(path_, ":", line, ": edited DAEMON_OPTIONS inside a "
                                         "conditional or macro body"));
      }
    }
    return absl::OkStatus();
  }

  std::string Apply() const {
    if (splices_.empty() && inserted_.empty()) return std::string(text_);
    std::vector<Splice> all = splices_;
    if (!inserted_.empty()) {
      const std::string ending = FileLineEnding(text_, lines_);
      const size_t line = InsertLine();
      std::string block;
      size_t at = text_.size();
      if (line < lines_.size()) {
        at = lines_[line].begin;
      } else if (!EndsWithNewline(text_)) {
        block = ending;  // the last line gets the newline it lacked, the new lines none
      }
      for (size_t k = 0; k < inserted_.size(); ++k) {
        absl::StrAppend(&block, inserted_[k]);
        if (line < lines_.size() || EndsWithNewline(text_) || k + 1 < inserted_.size()) {
          absl::StrAppend(&block, ending);
        }
      }
      all.push_back({at, at, block});
    }
    std::sort(all.begin(), all.end(),
              [](const Splice& a, const Splice& b) { return a.begin > b.begin; });
    std::string out(text_);
    for (const Splice& s : all) out.replace(s.begin, s.end - s.begin, s.with);
    return out;
  }

  absl::string_view text_;
  absl::string_view path_;
  const McAuthWant& want_;
  std::vector<TextLine> lines_;
  M4Scan scan_;
  std::vector<Splice> splices_;
  std::vector<std::string> inserted_;
  std::vector<std::string> changed_;
  std::vector<std::string> warnings_;
};

}  // namespace

std::vector<std::string> MissingStarttlsOptions(absl::string_view cf) {
  std::vector<std::string> missing;
  for (const char* option : {"ServerCertFile", "ServerKeyFile", "CACertFile", "CACertPath"}) {
    const std::string prefix = absl::StrCat("O ", option, "=");
    bool set = false;
    for (absl::string_view line : absl::StrSplit(cf, '\n')) {
      if (absl::ConsumePrefix(&line, prefix) && !absl::StripAsciiWhitespace(line).empty()) {
        set = true;
      }
    }
    if (!set) missing.push_back(option);
  }
  return missing;
}

std::string AuthOptionLetters(absl::string_view value) {
  std::string letters;
  for (absl::string_view w : absl::StrSplit(value, absl::ByAnyChar(" \t,"), absl::SkipEmpty())) {
    letters += w.front();
  }
  return letters;
}

std::string WithAuthModifier(absl::string_view argument, bool offer_auth) {
  std::vector<std::string> fields = absl::StrSplit(argument, ',');
  for (size_t k = 0; k < fields.size(); ++k) {
    std::string& f = fields[k];
    const size_t start = f.find_first_not_of(" \t");
    const size_t eq = f.find('=');
    if (start == std::string::npos || eq == std::string::npos || (f[start] != 'M' && f[start] != 'm')) {
      continue;
    }
    std::string value = f.substr(eq + 1);
    const bool has_a = value.find('A') != std::string::npos;
    if (has_a != offer_auth) return std::string(argument);
    if (!offer_auth) {
      const size_t last = value.find_last_not_of(" \t");
      value.insert(last == std::string::npos ? value.size() : last + 1, "A");
      f = absl::StrCat(f.substr(0, eq + 1), value);
      return absl::StrJoin(fields, ",");
    }
    value.erase(std::remove(value.begin(), value.end(), 'A'), value.end());
    if (value.find_first_not_of(" \t") != std::string::npos) {
      f = absl::StrCat(f.substr(0, eq + 1), value);
    } else {
      fields.erase(fields.begin() + k);
      // The first field loses the blanks the next one had after its comma.
      if (k == 0 && !fields.empty()) {
        const size_t b = fields[0].find_first_not_of(" \t");
        fields[0] = b == std::string::npos ? "" : fields[0].substr(b);
      }
    }
    return absl::StrJoin(fields, ",");
  }
  if (offer_auth) return std::string(argument);
  return absl::StrCat(argument, ", M=A");
}

absl::StatusOr<SendmailEdit> EditSendmailMcAuth(absl::string_view text, absl::string_view path,
                                                const McAuthWant& want) {
  return McAuthEditor(text, path, want).Run();
}

}  // namespace relayguard::agent::sendmail
