#include "agent/mta/exim/update_exim4_conf.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_join.h"
#include "agent/mta/exim/exim_config_text.h"
#include "agent/mta/exim/exim_list.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/cidr.h"
#include "common/status_macros.h"

namespace relayguard::agent::exim {
namespace {

// Characters an unquoted shell word may hold here without meaning anything to the shell.
constexpr absl::string_view kPlainWordChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:@,+%=-";

// KEY=value split into what stays and what may be rewritten.
struct Assignment {
  std::string key;
  std::string value;   // unquoted
  std::string prefix;  // up to and including '='
  std::string suffix;  // after the value: white space and a comment, or ""
};

absl::StatusOr<Assignment> ParseAssignment(absl::string_view c, absl::string_view where) {
  auto refuse = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", why, " in \"", c, "\" (expected KEY='value')"));
  };
  size_t i = c.find_first_not_of(" \t");
  size_t k = i;
  while (k < c.size() && (std::isalnum(static_cast<unsigned char>(c[k])) || c[k] == '_')) ++k;
  if (k == i || std::isdigit(static_cast<unsigned char>(c[i])) || k == c.size() || c[k] != '=') {
    return refuse("not a shell assignment");
  }
  Assignment a{std::string(c.substr(i, k - i)), "", std::string(c.substr(0, k + 1)), ""};
  size_t v = k + 1;
  size_t end = v;
  if (v < c.size() && (c[v] == '\'' || c[v] == '"')) {
    size_t close = c.find(c[v], v + 1);
    if (close == absl::string_view::npos) return refuse("unterminated quote");
    a.value = std::string(c.substr(v + 1, close - v - 1));
    if (c[v] == '"' && a.value.find_first_of("$`\\") != std::string::npos) {
      return refuse("$, ` or \\ inside double quotes");
    }
    end = close + 1;
  } else {
    end = c.find_first_not_of(kPlainWordChars, v);
    if (end == absl::string_view::npos) end = c.size();
    a.value = std::string(c.substr(v, end - v));
  }
  absl::string_view rest = c.substr(end);
  absl::string_view after_space = absl::StripLeadingAsciiWhitespace(rest);
  if (!after_space.empty() && (after_space.size() == rest.size() || after_space.front() != '#')) {
    return refuse("unexpected text after the value");
  }
  a.suffix = std::string(rest);
  return a;
}

// A key to set: its items, and where it was last seen (1-based line, 0 while not seen).
struct Wanted {
  std::string key;
  std::vector<std::string> items;
  size_t line = 0;
};

bool CoversLocalhost(const std::vector<Cidr>& networks) {
  for (const char* local : {"127.0.0.1", "::1"}) {
    IpAddress ip = *ParseIpAddress(local);
    if (std::none_of(networks.begin(), networks.end(), [&](const Cidr& c) {
          return c.address.family == ip.family && c.Contains(ip);
        })) {
      return false;
    }
  }
  return true;
}

void NoteChanged(EximEdit& edit, const std::string& key) {
  if (std::find(edit.changed.begin(), edit.changed.end(), key) == edit.changed.end()) {
    edit.changed.push_back(key);
  }
}

// Rewrites assignment `a` (physical line `p`) when it sets a wanted key to other items.
void PlanLine(size_t p, const Assignment& a, std::vector<Wanted>& wanted, TextEditor& editor,
              EximEdit& edit) {
  for (Wanted& w : wanted) {
    if (a.key != w.key) continue;
    w.line = p + 1;
    if (SameEximListItems(ParseDebianList(a.value), w.items)) continue;
    editor.Replace(p, absl::StrCat(a.prefix, "'", FormatDebianList(w.items), "'", a.suffix));
    NoteChanged(edit, w.key);
  }
}

void AppendMissing(const ConfigText& text, std::vector<Wanted>& wanted, TextEditor& editor,
                   EximEdit& edit) {
  size_t next_line = text.lines().size() + 1;
  for (Wanted& w : wanted) {
    if (w.line != 0) continue;
    editor.InsertBefore(text.lines().size(), absl::StrCat(w.key, "='", FormatDebianList(w.items), "'"));
    NoteChanged(edit, w.key);
    w.line = next_line++;
  }
}

absl::StatusOr<EximEdit> Edit(absl::string_view input, const EximRelaySettings& want,
                              absl::string_view path) {
  ASSIGN_OR_RETURN(ConfigText text, ConfigText::Parse(input, path));
  std::vector<std::string> networks;
  for (const Cidr& c : want.relay_from_hosts) networks.push_back(c.ToString());
  std::vector<Wanted> wanted = {{"dc_relay_domains", want.relay_to_domains},
                                {"dc_relay_nets", networks}};
  TextEditor editor(text);
  EximEdit edit;
  for (size_t p = 0; p < text.lines().size(); ++p) {
    const PhysicalLine& line = text.lines()[p];
    if (line.kind == LineKind::kBlank || line.kind == LineKind::kComment) continue;
    ASSIGN_OR_RETURN(Assignment a, ParseAssignment(line.content, text.Where(p)));
    if (a.key == "dc_eximconfig_configtype" && a.value == "none") {
      edit.warnings.push_back(
          absl::StrCat(text.Where(p),
              ": dc_eximconfig_configtype is 'none', so update-exim4.conf generates no macros and "
              "dc_relay_nets / dc_relay_domains have no effect"));
    }
    PlanLine(p, a, wanted, editor, edit);
  }
  AppendMissing(text, wanted, editor, edit);
  if (!CoversLocalhost(want.relay_from_hosts)) {
    edit.warnings.push_back(
        absl::StrCat(path, ":", wanted[1].line,
            ": update-exim4.conf always adds 127.0.0.1 and ::1 to dc_relay_nets, so clients on "
            "this host may relay without authentication although the policy does not list them"));
  }
  edit.text = editor.changed() ? editor.Render() : std::string(input);
  return edit;
}

}  // namespace

absl::StatusOr<std::vector<UpdateExim4Setting>> ParseUpdateExim4Conf(absl::string_view input,
                                                                     absl::string_view path) {
  ASSIGN_OR_RETURN(ConfigText text, ConfigText::Parse(input, path));
  std::vector<UpdateExim4Setting> settings;
  for (size_t p = 0; p < text.lines().size(); ++p) {
    const PhysicalLine& line = text.lines()[p];
    if (line.kind == LineKind::kBlank || line.kind == LineKind::kComment) continue;
    ASSIGN_OR_RETURN(Assignment a, ParseAssignment(line.content, text.Where(p)));
    settings.push_back({a.key, a.value, p + 1});
  }
  return settings;
}

std::vector<std::string> ParseDebianList(absl::string_view value) {
  // update-exim4.conf: `echo $temp | grep -q "^<"`, after the shell dropped leading blanks.
  absl::string_view v = absl::StripLeadingAsciiWhitespace(value);
  if (absl::StrContains(v, ";") && !absl::StartsWith(v, "<")) {
    return ParseEximList(absl::StrCat("<; ", v));
  }
  return ParseEximList(v);
}

std::string FormatDebianList(const std::vector<std::string>& items) {
  // A first item starting with '<' would be read as a separator change.
  if ((items.size() == 1 && absl::StrContains(items[0], ":")) ||
      (!items.empty() && absl::StartsWith(items[0], "<"))) {
    return absl::StrCat("<; ", absl::StrJoin(items, " ; "));
  }
  return absl::StrJoin(items, " ; ");
}

absl::StatusOr<EximEdit> EditUpdateExim4Conf(absl::string_view text, const EximRelaySettings& want,
                                             absl::string_view path) {
  absl::StatusOr<EximEdit> edit = Edit(text, want, path);
  if (!edit.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(edit.status().message(), " — nothing was changed"));
  }
  return edit;
}

}  // namespace relayguard::agent::exim
