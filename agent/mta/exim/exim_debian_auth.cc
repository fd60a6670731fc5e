#include "agent/mta/exim/exim_debian_auth.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/mta/exim/exim_config_text.h"
#include "agent/mta/exim/update_exim4_conf.h"
#include "common/status_macros.h"

namespace relayguard::agent::exim {
namespace {

// The physical index of the top-level "begin authenticators" line of `text`.
std::optional<size_t> BeginAuthenticators(const ConfigText& text) {
  for (const LogicalLine& l : text.logical()) {
    if (l.is_begin && l.section == "authenticators" &&
        text.lines()[l.first].branch == kTopLevel) {
      return l.first;
    }
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<bool> DebianSplitConfig(absl::string_view text, absl::string_view path) {
  ASSIGN_OR_RETURN(std::vector<UpdateExim4Setting> settings, ParseUpdateExim4Conf(text, path));
  bool split = false;
  for (const UpdateExim4Setting& s : settings) {
    if (s.key == "dc_use_split_config") split = absl::AsciiStrToLower(s.value) == "true";
  }
  return split;
}

absl::StatusOr<EximEdit> EditDebianAuthFile(absl::string_view current, const EximAuthWant& want,
                                            absl::string_view path) {
  if (current.empty()) {
    // A new file: the header, then the authenticators (EditAuthenticators appends them to a
    // fragment without "begin" lines, after a blank line).
    return EditAuthenticators(kDebianAuthFileHeader, want, path);
  }
  return EditAuthenticators(current, want, path);
}

absl::StatusOr<EximEdit> EditDebianTemplate(absl::string_view input, const EximAuthWant& want,
                                            absl::string_view path) {
  // Relayguard's block already there (or an admin's conflicting authenticator): the common
  // editor replaces it in place or refuses, and says nothing changed when it is as wanted.
  bool has_block = false;
  for (absl::string_view line : absl::StrSplit(input, '\n')) {
    if (absl::StripAsciiWhitespace(line) == kAuthMarker) has_block = true;
  }
  ASSIGN_OR_RETURN(EximEdit checked, EditAuthenticators(input, want, path));
  if (has_block) return checked;
  ASSIGN_OR_RETURN(ConfigText text, ConfigText::Parse(input, path));
  std::optional<size_t> begin = BeginAuthenticators(text);
  if (!begin) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": no \"begin authenticators\" line outside .ifdef blocks, so relayguard does not "
              "know where Debian's template wants authenticators; add one at the end of the "
              "template — nothing was changed"));
  }
  // The lines of the block alone: what the common editor writes into an empty fragment.
  ASSIGN_OR_RETURN(EximEdit block, EditAuthenticators("", want, path));
  TextEditor editor(text);
  const size_t at = *begin + 1;
  editor.InsertBefore(at, "");
  for (absl::string_view line : absl::StrSplit(block.text, '\n', absl::SkipEmpty())) {
    editor.InsertBefore(at, std::string(absl::StripSuffix(line, "\r")));
  }
  if (at < text.lines().size() && text.lines()[at].kind != LineKind::kBlank) {
    editor.InsertBefore(at, "");
  }
  EximEdit edit;
  edit.text = editor.Render();
  edit.changed.push_back("authenticators");
  return edit;
}

bool DefinesMacro(absl::string_view input, absl::string_view name) {
  absl::StatusOr<ConfigText> text = ConfigText::Parse(input, "");
  if (!text.ok()) return false;
  for (const LogicalLine& l : text->logical()) {
    if (!l.section.empty() || l.is_begin) continue;
    std::optional<MacroDefinition> def = ParseMacroDefinition(l.text);
    if (def && def->name == name) return true;
  }
  return false;
}

}  // namespace relayguard::agent::exim
