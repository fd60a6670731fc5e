// Debian's update-exim4.conf.conf (agent/mta/exim/update_exim4_conf.h): read or refused with
// "PATH:LINE: ..."; the relay edit gives a file that reads back with the lists set, and a second
// edit leaves it unchanged.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "agent/mta/exim/update_exim4_conf.h"
#include "common/cidr.h"
#include "fuzz/fuzz_check.h"

namespace ex = relayguard::agent::exim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr char kPath[] = "/etc/exim4/update-exim4.conf.conf";
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<ex::UpdateExim4Setting>> settings =
      ex::ParseUpdateExim4Conf(text, kPath);
  if (!settings.ok()) {
    FUZZ_CHECK(absl::StartsWith(settings.status().message(), std::string(kPath) + ":"),
               "error without the place: " + std::string(settings.status().message()));
  }
  ex::EximRelaySettings want;
  want.relay_from_hosts.push_back(*relayguard::ParseCidr("127.0.0.1/32"));
  want.relay_from_hosts.push_back(*relayguard::ParseCidr("2001:db8::/32"));
  want.relay_to_domains.push_back("example.org");
  absl::StatusOr<ex::EximEdit> edit = ex::EditUpdateExim4Conf(text, want, kPath);
  FUZZ_CHECK(edit.ok() == settings.ok(), "the editor and the reader disagree on the file");
  if (!edit.ok()) return 0;
  absl::StatusOr<std::vector<ex::UpdateExim4Setting>> back =
      ex::ParseUpdateExim4Conf(edit->text, kPath);
  FUZZ_CHECK(back.ok(), "the edited file does not read back: " + std::string(back.status().message()));
  std::string nets, domains;
  for (const ex::UpdateExim4Setting& s : *back) {
    if (s.key == "dc_relay_nets") nets = s.value;
    if (s.key == "dc_relay_domains") domains = s.value;
  }
  FUZZ_CHECK(ex::ParseDebianList(domains) == std::vector<std::string>{"example.org"},
             "dc_relay_domains reads back as \"" + domains + "\"");
  FUZZ_CHECK(ex::ParseDebianList(nets).size() == 2, "dc_relay_nets reads back as \"" + nets + "\"");
  absl::StatusOr<ex::EximEdit> again = ex::EditUpdateExim4Conf(edit->text, want, kPath);
  FUZZ_CHECK(again.ok() && again->text == edit->text && again->changed.empty(),
             "the edit is not idempotent");
  return 0;
}
