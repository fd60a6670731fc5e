// exim.conf (agent/mta/exim/exim_conf.h, exim_config_text.h): a file Exim's reader accepts
// renders byte for byte through an untouched TextEditor; the relay edit either refuses with
// "PATH:LINE: ..." or gives a file that reads back and that a second edit leaves unchanged
// (the editor promises idempotence); the ACL and named-list readers never crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "agent/mta/exim/exim_conf.h"
#include "agent/mta/exim/exim_config_text.h"
#include "common/cidr.h"
#include "fuzz/fuzz_check.h"

namespace ex = relayguard::agent::exim;

namespace {

constexpr char kPath[] = "/etc/exim4/exim4.conf";

ex::EximRelaySettings Want() {
  ex::EximRelaySettings want;
  want.relay_from_hosts.push_back(*relayguard::ParseCidr("127.0.0.1/32"));
  want.relay_from_hosts.push_back(*relayguard::ParseCidr("::1/128"));
  want.relay_to_domains.push_back("example.org");
  return want;
}

ex::EximEditContext Context() {
  ex::EximEditContext context;
  context.read_file = [](const std::string& path) -> absl::StatusOr<std::string> {
    if (path == "/etc/exim4/relay_hosts") return std::string("192.0.2.0/24\n# a comment\n");
    return absl::NotFoundError(path + ": no such file");
  };
  return context;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ex::ConfigText> parsed = ex::ConfigText::Parse(text, kPath);
  if (!parsed.ok()) {
    FUZZ_CHECK(absl::StartsWith(parsed.status().message(), std::string(kPath) + ":"),
               "parse error without the place: " + std::string(parsed.status().message()));
  } else {
    ex::TextEditor editor(*parsed);
    FUZZ_CHECK(editor.Render() == text, "an untouched TextEditor does not render the input");
    (void)ex::RcptAclNames(text, kPath);
    (void)ex::ReadNamedList(text, "hostlist", "relay_from_hosts", kPath);
    (void)ex::NamedListDefinition(text, "domainlist", "relay_to_domains", kPath);
  }
  const ex::EximRelaySettings want = Want();
  absl::StatusOr<ex::EximEdit> edit = ex::EditEximConf(text, want, kPath, Context());
  if (!edit.ok()) {
    FUZZ_CHECK(absl::StrContains(edit.status().message(), kPath),
               "edit refused without the place: " + std::string(edit.status().message()));
    return 0;
  }
  if (edit->changed.empty()) FUZZ_CHECK(edit->text == text, "unchanged but the text differs");
  absl::StatusOr<ex::ConfigText> back = ex::ConfigText::Parse(edit->text, kPath);
  FUZZ_CHECK(back.ok(), "the edited file does not read back: " + std::string(back.status().message()));
  absl::StatusOr<ex::EximEdit> again = ex::EditEximConf(edit->text, want, kPath, Context());
  FUZZ_CHECK(again.ok(),
             "editing the edited file is refused: " + std::string(again.status().message()));
  FUZZ_CHECK(again->text == edit->text && again->changed.empty(),
             "the edit is not idempotent; second edit changed: " +
                 (again->changed.empty() ? std::string("<nothing>") : again->changed.front()));
  return 0;
}
