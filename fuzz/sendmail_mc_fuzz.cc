// sendmail.mc (agent/mta/sendmail/sendmail_mc.h): the editor either refuses with the file's
// name or gives a file without an active open-relay FEATURE, that it reads back and that a
// second edit leaves unchanged.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "agent/mta/sendmail/sendmail_mc.h"
#include "fuzz/fuzz_check.h"

namespace sm = relayguard::agent::sendmail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr char kPath[] = "/etc/mail/sendmail.mc";
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)sm::OpenRelayFeatureCalls(text);
  absl::StatusOr<sm::SendmailEdit> edit = sm::EditSendmailMc(text, kPath);
  if (!edit.ok()) {
    FUZZ_CHECK(absl::StrContains(edit.status().message(), kPath),
               "refused without the place: " + std::string(edit.status().message()));
    return 0;
  }
  if (edit->changed.empty()) FUZZ_CHECK(edit->text == text, "unchanged but the text differs");
  const std::vector<std::string> left = sm::OpenRelayFeatures(edit->text);
  FUZZ_CHECK(left.empty(), "the edited file still has FEATURE(" + left.front() + ")");
  absl::StatusOr<sm::SendmailEdit> again = sm::EditSendmailMc(edit->text, kPath);
  FUZZ_CHECK(again.ok(), "the edited file is refused: " + std::string(again.status().message()));
  FUZZ_CHECK(again->text == edit->text && again->changed.empty(),
             "the edit is not idempotent; second edit changed: " +
                 (again->changed.empty() ? std::string("<nothing>") : again->changed.front()));
  return 0;
}
