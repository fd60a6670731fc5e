// Sendmail's access map (agent/mta/sendmail/access_file.h): the editor either refuses with
// "PATH:LINE" or gives a file that holds the policy's RELAY keys, and that a second edit leaves
// unchanged (the editor promises idempotence).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "agent/mta/sendmail/access_file.h"
#include "agent/mta/sendmail/access_grants.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_policy.h"

namespace sm = relayguard::agent::sendmail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr char kPath[] = "/etc/mail/access";
  static const sm::AccessPolicy want = sm::AccessPolicyFor(relayguard::fuzz::LabPolicy());
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)sm::AccessRelayKeys(text);
  absl::StatusOr<sm::AccessEdit> edit = sm::EditAccessFile(text, want, kPath);
  if (!edit.ok()) {
    FUZZ_CHECK(absl::StrContains(edit.status().message(), std::string(kPath) + ":"),
               "refused without the place: " + std::string(edit.status().message()));
    return 0;
  }
  if (edit->changed.empty()) FUZZ_CHECK(edit->text == text, "unchanged but the text differs");
  absl::StatusOr<sm::AccessEdit> again = sm::EditAccessFile(edit->text, want, kPath);
  FUZZ_CHECK(again.ok(), "the edited file is refused: " + std::string(again.status().message()));
  FUZZ_CHECK(again->text == edit->text && again->changed.empty(),
             "the edit is not idempotent; second edit changed: " +
                 (again->changed.empty() ? std::string("<nothing>") : again->changed.front()));
  return 0;
}
