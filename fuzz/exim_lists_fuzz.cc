// Exim lists (agent/mta/exim/exim_list.h) and Debian's dc_* lists (update_exim4_conf.h):
// formatting the items a list holds gives a list that holds the same items.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "agent/mta/exim/exim_list.h"
#include "agent/mta/exim/update_exim4_conf.h"
#include "fuzz/fuzz_check.h"

namespace ex = relayguard::agent::exim;

namespace {

bool Representable(const std::vector<std::string>& items) {
  for (const std::string& item : items) {
    if (item.empty() || item.find_first_of("\r\n") != std::string::npos) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string value(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> items = ex::ParseEximList(value);
  if (Representable(items)) {
    const std::string formatted = ex::FormatEximList(items);
    const std::vector<std::string> back = ex::ParseEximList(formatted);
    FUZZ_CHECK(back == items, "Exim list [" + absl::StrJoin(items, "|") + "] formatted as \"" +
                                  formatted + "\" reads back as [" + absl::StrJoin(back, "|") + "]");
    FUZZ_CHECK(ex::SameEximListItems(items, back), "SameEximListItems(x, x) is false");
  }
  // dc_* lists hold networks and domains: printable ASCII items without the ';' that separates
  // them (an item of other bytes after a "<X" separator change is no network or domain).
  const std::vector<std::string> debian = ex::ParseDebianList(value);
  bool plain = Representable(debian);
  for (const std::string& item : debian) {
    plain = plain && item.find(';') == std::string::npos;
    for (unsigned char c : item) plain = plain && c > 0x20 && c < 0x7f;
  }
  if (plain) {
    const std::string formatted = ex::FormatDebianList(debian);
    const std::vector<std::string> back = ex::ParseDebianList(formatted);
    FUZZ_CHECK(back == debian, "Debian list [" + absl::StrJoin(debian, "|") + "] formatted as \"" +
                                   formatted + "\" reads back as [" + absl::StrJoin(back, "|") +
                                   "]");
  }
  return 0;
}
