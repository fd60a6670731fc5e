// STUB: the interface of lookup_table.h so that callers build; the readers and the judgement
// are being written (issue 11). Nothing here may be relied on yet: every entry is unproven.
#include "agent/mta/postfix/lookup_table.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace relayguard::agent::postfix {

LookupKind LookupKindOf(std::string_view restriction) {
  if (restriction.find("client") != std::string_view::npos) return LookupKind::kClient;
  if (restriction.find("sender") != std::string_view::npos) return LookupKind::kSender;
  if (restriction.find("helo") != std::string_view::npos) return LookupKind::kHelo;
  if (restriction.find("recipient") != std::string_view::npos) return LookupKind::kRecipient;
  return LookupKind::kOther;
}

bool IsPermitAction(std::string_view action) {
  std::string a = absl::AsciiStrToLower(std::string(action));
  return a == "ok" || a == "permit";
}

EntryJudgement JudgeEntry(const LookupTable&, const TableEntry&, LookupKind, const Policy&) {
  return {false, true, "entries cannot be judged yet"};
}

RealLookupTableReader::RealLookupTableReader(FileSystem& fs, ProcessRunner& runner,
                                             std::string postmap_path, std::string config_dir)
    : fs_(fs), runner_(runner), postmap_path_(std::move(postmap_path)),
      config_dir_(std::move(config_dir)) {}

absl::StatusOr<LookupTable> RealLookupTableReader::Read(const std::string& spec) {
  return absl::UnimplementedError(absl::StrCat("cannot read table ", spec, " yet"));
}

}  // namespace relayguard::agent::postfix
