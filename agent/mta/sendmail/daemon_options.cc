#include "agent/mta/sendmail/daemon_options.h"

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "agent/mta/sendmail/m4_scan.h"

namespace relayguard::agent::sendmail {
namespace {

absl::string_view Trim(absl::string_view v) { return absl::StripAsciiWhitespace(v); }

// The value of a DaemonPortOptions option line (after joining continuation lines), or nullopt
// when the line sets another option or none.
std::optional<absl::string_view> OptionValue(absl::string_view line) {
  if (!absl::ConsumePrefix(&line, "O")) return std::nullopt;
  if (absl::ConsumePrefix(&line, "O")) return Trim(line);  // the one-letter form
  if (!absl::ConsumePrefix(&line, " ")) return std::nullopt;
  // sendmail's setoption: the name runs up to '=' (blanks around it allowed).
  const size_t eq = line.find('=');
  absl::string_view name = Trim(line.substr(0, eq));
  if (!absl::EqualsIgnoreCase(name, "DaemonPortOptions")) return std::nullopt;
  if (eq == absl::string_view::npos) return absl::string_view();
  return Trim(line.substr(eq + 1));
}

}  // namespace

bool DaemonPortOptions::Has(char modifier) const {
  return modifiers.find(modifier) != std::string::npos;
}

DaemonPortOptions ParseDaemonPortOptions(absl::string_view std_value) {
  const absl::string_view value(std_value.data(), std_value.size());
  DaemonPortOptions d;
  d.value = std::string(Trim(value));
  for (absl::string_view field : absl::StrSplit(value, ',')) {
    field = absl::StripLeadingAsciiWhitespace(field);
    if (field.empty()) continue;
    const size_t eq = field.find('=');
    if (eq == absl::string_view::npos) continue;  // sendmail skips a field without '='
    const std::string v(Trim(field.substr(eq + 1)));
    switch (field.front()) {
      case 'A':
      case 'a':
        d.addr = v;
        break;
      case 'F':
      case 'f':
        d.family = absl::AsciiStrToLower(v);
        break;
      case 'N':
      case 'n':
        d.name = v;
        break;
      case 'P':
      case 'p':
        d.port = v;
        break;
      case 'M':
      case 'm':  // bits accumulate over several M= fields
        for (char c : v) {
          if (!absl::ascii_isspace(static_cast<unsigned char>(c))) d.modifiers += c;
        }
        break;
      case 'c':
      case 'D':
      case 'd':
      case 'I':
      case 'i':
      case 'L':
      case 'l':
      case 'q':
      case 'R':
      case 'r':
      case 'S':
      case 's':
      case 'T':
        break;  // children, delivery mode, load averages, filters, queue and buffer sizes
      default:
        d.unknown.emplace_back(Trim(field));
    }
  }
  return d;
}

std::vector<DaemonPortOptions> CfDaemonPortOptions(absl::string_view std_cf) {
  const absl::string_view cf(std_cf.data(), std_cf.size());
  // Folded lines (sendmail's fgetfolded): a line starting with a blank or tab continues the
  // one before it.
  std::vector<std::pair<std::string, size_t>> lines;
  size_t number = 0;
  for (absl::string_view line : absl::StrSplit(cf, '\n')) {
    ++number;
    line = absl::StripSuffix(line, "\r");
    if (!lines.empty() && !line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      absl::StrAppend(&lines.back().first, line);
      continue;
    }
    lines.emplace_back(std::string(line), number);
  }
  std::vector<DaemonPortOptions> daemons;
  for (const auto& [line, at] : lines) {
    std::optional<absl::string_view> value = OptionValue(line);
    if (!value) continue;
    DaemonPortOptions d = ParseDaemonPortOptions(absl::string_view(value->data(), value->size()));
    d.line = at;
    daemons.push_back(std::move(d));
  }
  return daemons;
}

std::vector<McDaemonOptions> McDaemonOptionsCalls(absl::string_view mc) {
  std::vector<McDaemonOptions> calls;
  for (const Call& call : ScanM4(mc).calls) {
    if (call.macro != "DAEMON_OPTIONS" || !call.has_arguments) continue;
    calls.push_back({call.name, call.line + 1, call.quoted || call.in_arguments});
  }
  return calls;
}

std::vector<size_t> MatchMcDaemonOptions(const std::vector<DaemonPortOptions>& daemons,
                                         const std::vector<McDaemonOptions>& calls) {
  std::vector<size_t> lines;
  std::vector<bool> used(calls.size(), false);
  for (const DaemonPortOptions& d : daemons) {
    size_t line = 0;
    for (size_t k = 0; k < calls.size(); ++k) {
      if (used[k] || Trim(calls[k].argument) != d.value) continue;
      used[k] = true;
      line = calls[k].line;
      break;
    }
    lines.push_back(line);
  }
  return lines;
}

std::string DaemonFlagsMacro(absl::string_view modifiers) {
  std::string flags;
  for (char c : modifiers) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) continue;
    if (!flags.empty()) flags += ' ';
    flags += c;
    if (absl::ascii_isupper(static_cast<unsigned char>(c))) flags += c;
  }
  return flags;
}

}  // namespace relayguard::agent::sendmail
