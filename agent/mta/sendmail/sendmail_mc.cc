#include "agent/mta/sendmail/sendmail_mc.h"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "agent/mta/sendmail/m4_scan.h"
#include "common/text_lines.h"
#include "common/status_macros.h"

namespace relayguard::agent::sendmail {
namespace {

constexpr absl::string_view kAccessDbLine = "FEATURE(`access_db')dnl";

// FEATUREs that test for access_db when m4 includes them (or define mailers, after which no
// FEATURE may follow): access_db has to come before them (cf/feature/*.m4).
constexpr std::array<absl::string_view, 12> kFeaturesAfterAccessDb = {
    "bcc",         "blacklist_recipients", "blocklist_recipients", "compat_check",
    "conncontrol", "greet_pause",          "lookupdotdomain",      "queuegroup",
    "ratecontrol", "relay_mail_from",      "nullclient",           "msp"};
constexpr std::array<absl::string_view, 2> kHacksAfterAccessDb = {"dnsblaccess", "xconnect"};

// What the relay FEATUREs define; a define of one of them opens relaying just the same.
constexpr std::array<absl::string_view, 6> kOpenRelayMacros = {
    "_PROMISCUOUS_RELAY_", "_RELAY_ENTIRE_DOMAIN_", "_LOOSE_RELAY_CHECK_",
    "_RELAY_MX_SERVED_",   "_RELAY_LOCAL_FROM_",    "_RELAY_DB_FROM_"};

template <typename View, size_t N>
bool IsOneOf(const std::array<View, N>& list, absl::string_view word) {
  return std::any_of(list.begin(), list.end(),
                     [&](View v) { return v == word; });
}

absl::Status Refuse(absl::string_view path, size_t line_index, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ":", line_index + 1, ": ", what, " — nothing was changed"));
}

std::string Spelled(const Call& call) { return absl::StrCat(call.macro, "(`", call.name, "')"); }

// Whether the call fills its line: optional blanks, the call, optional blanks and `dnl ...` or
// `# ...`, with m4's quoting state the same after the line as before it (so deleting the line
// cannot change how m4 reads the rest of the file).
bool FillsItsLine(absl::string_view text, const TextLine& line, const Call& call,
                  const M4Scan& scan) {
  if (!call.end || *call.end > line.content_end) return false;
  for (size_t p = line.begin; p < call.begin; ++p) {
    if (!IsBlank(text[p])) return false;
  }
  absl::string_view rest = text.substr(*call.end, line.content_end - *call.end);
  while (!rest.empty() && IsBlank(rest.front())) rest.remove_prefix(1);
  const bool tail_ok = rest.empty() || rest.front() == '#' ||
                       (rest.substr(0, 3) == "dnl" && (rest.size() == 3 || !IsNameChar(rest[3])));
  return tail_ok && scan.line_start[call.line] == scan.line_start[call.line + 1];
}

// The first line of the top-level statement that contains `line`.
size_t StatementStart(const M4Scan& scan, size_t line) {
  while (line > 0 && !(scan.line_start[line] == M4State{})) --line;
  return line;
}

// Whether m4 has to see FEATURE(`access_db') before this call.
bool NeedsAccessDbBefore(const Call& call) {
  if (call.macro == "MAILER") return call.has_arguments;
  if (call.macro == "MAILER_DEFINITIONS") return true;
  if (call.macro == "FEATURE") return IsOneOf(kFeaturesAfterAccessDb, call.name);
  if (call.macro == "HACK") return IsOneOf(kHacksAfterAccessDb, call.name);
  return false;
}

// Warnings about relay grants this editor leaves alone.
std::optional<std::string> WarningFor(const Call& call, absl::string_view path) {
  const std::string where = absl::StrCat(path, ":", call.line + 1, ": ");
  if (call.macro == "define" && IsOneOf(kOpenRelayMacros, call.name)) {
    return absl::StrCat(where, "define(`", call.name,
                        "') opens relaying like the FEATURE that defines it; remove it by hand");
  }
  if (call.macro == "define" && call.name == "confUSE_COMPRESSED_IPV6_ADDRESSES") {
    return absl::StrCat(where,
                        "confUSE_COMPRESSED_IPV6_ADDRESSES makes Sendmail write IPv6 client "
                        "addresses compressed; the IPv6 access keys relayguard writes assume the "
                        "uncompressed default");
  }
  if (call.macro == "RELAY_DOMAIN" || call.macro == "RELAY_DOMAIN_FILE") {
    return absl::StrCat(where, call.macro,
                        "(...) adds names to class {R}, which may relay to and from them; "
                        "relayguard does not manage it");
  }
  return std::nullopt;
}

// What EditSendmailMc does to the file.
struct McPlan {
  std::vector<bool> drop;                               // lines to delete
  std::optional<size_t> access_db_before;               // line FEATURE(`access_db') goes before
  std::vector<std::pair<size_t, std::string>> changes;  // (line, change)
  std::vector<std::string> warnings;
};

// Plans deleting the line of a relay-opening FEATURE call, or says why it cannot be deleted.
absl::Status PlanRemoval(absl::string_view text, const std::vector<TextLine>& lines,
                         const M4Scan& scan, const Call& call, absl::string_view path,
                         McPlan& plan) {
  if (!call.end) return Refuse(path, call.line, absl::StrCat(Spelled(call), " is never closed"));
  if (!FillsItsLine(text, lines[call.line], call, scan)) {
    return Refuse(path, call.line,
                  absl::StrCat(Spelled(call),
                               " does not stand on a line of its own (it shares the line with "
                               "other m4 text or spans lines); put it on its own line or remove "
                               "it by hand"));
  }
  plan.drop[call.line] = true;
  plan.changes.emplace_back(call.line, absl::StrCat("-FEATURE(", call.name, ")"));
  if (call.quoted || call.in_arguments) {
    plan.warnings.push_back(absl::StrCat(path, ":", call.line + 1, ": deleted ", Spelled(call),
                                         " inside a conditional or macro body; relayguard cannot "
                                         "tell whether it was in effect"));
  }
  return absl::OkStatus();
}

absl::StatusOr<McPlan> PlanEdit(absl::string_view text, const std::vector<TextLine>& lines,
                                const M4Scan& scan, absl::string_view path) {
  McPlan plan;
  plan.drop.assign(lines.size(), false);
  bool access_db = false;
  bool access_db_in_effect = false;  // outside quotes and other macros' arguments
  std::optional<size_t> first_needing_access_db;
  for (const Call& call : scan.calls) {
    if (call.macro == "FEATURE" && call.name == "msp") {
      return Refuse(path, call.line,
                    "FEATURE(`msp') makes this a mail submission (submit.mc) configuration, not "
                    "the MTA's; relayguard edits the MTA's sendmail.mc");
    }
    if (call.macro == "FEATURE" && call.name == "access_db") {
      access_db = true;
      access_db_in_effect = access_db_in_effect || !(call.quoted || call.in_arguments);
    } else if (call.macro == "FEATURE" && IsOneOf(kOpenRelayFeatures, call.name)) {
      RETURN_IF_ERROR(PlanRemoval(text, lines, scan, call, path, plan));
    } else {
      if (!first_needing_access_db && NeedsAccessDbBefore(call)) {
        first_needing_access_db = StatementStart(scan, call.line);
      }
      if (std::optional<std::string> warning = WarningFor(call, path)) {
        plan.warnings.push_back(*std::move(warning));
      }
    }
  }
  if (access_db && !access_db_in_effect) {
    plan.warnings.push_back(absl::StrCat(path,
                                         ": FEATURE(`access_db') appears only inside quotes or "
                                         "another macro's arguments; make sure it is in effect"));
  }
  if (!access_db) {
    plan.access_db_before = first_needing_access_db.value_or(lines.size());
    plan.changes.emplace_back(*plan.access_db_before, "FEATURE(access_db)");
  }
  std::stable_sort(plan.changes.begin(), plan.changes.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return plan;
}

// The file with the plan carried out.
std::string Apply(absl::string_view text, const std::vector<TextLine>& lines, const McPlan& plan) {
  const absl::string_view std_text(text.data(), text.size());
  std::vector<LinePiece> pieces;
  for (size_t k = 0; k <= lines.size(); ++k) {
    if (plan.access_db_before == k) pieces.push_back({std::string(kAccessDbLine), ""});
    if (k == lines.size() || plan.drop[k]) continue;
    pieces.push_back({std::string(lines[k].Content(std_text)),
                      std::string(lines[k].Ending(std_text))});
  }
  return JoinLinePieces(pieces, FileLineEnding(std_text, lines), EndsWithNewline(std_text));
}

}  // namespace

absl::StatusOr<SendmailEdit> EditSendmailMc(absl::string_view std_text, absl::string_view std_path) {
  const absl::string_view text(std_text.data(), std_text.size());
  const absl::string_view path(std_path.data(), std_path.size());
  const std::vector<TextLine> lines = SplitTextLines(std_text);
  const M4Scan scan = ScanM4(text);
  if (!scan.problem.empty()) return Refuse(path, scan.problem_line, scan.problem);
  ASSIGN_OR_RETURN(McPlan plan, PlanEdit(text, lines, scan, path));

  SendmailEdit edit;
  edit.warnings = std::move(plan.warnings);
  if (plan.changes.empty()) {
    edit.text = std::string(text);
    return edit;
  }
  for (auto& [line, change] : plan.changes) edit.changed.push_back(std::move(change));
  edit.text = Apply(text, lines, plan);
  return edit;
}

std::vector<FeatureCall> OpenRelayFeatureCalls(absl::string_view text) {
  std::vector<FeatureCall> features;
  for (const Call& call : ScanM4(text).calls) {
    if (call.macro == "FEATURE" && IsOneOf(kOpenRelayFeatures, call.name)) {
      features.push_back({call.name, call.line + 1});
    }
  }
  return features;
}

std::vector<std::string> OpenRelayFeatures(absl::string_view text) {
  std::vector<std::string> names;
  for (FeatureCall& f : OpenRelayFeatureCalls(text)) names.push_back(std::move(f.name));
  return names;
}

}  // namespace relayguard::agent::sendmail
