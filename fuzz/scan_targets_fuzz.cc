// Scan targets (agent/probe/scan_targets.h): the arguments (one per input line) and an @FILE
// (the rest of the input after a line "--") read as endpoints, or refused with an error naming
// the argument; never more than the limit, no duplicates, every port 1..65535.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "agent/probe/scan_targets.h"
#include "common/endpoint.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> halves = absl::StrSplit(input, absl::MaxSplits("\n--\n", 1));
  std::vector<std::string> args = absl::StrSplit(halves[0], '\n');
  if (args.size() > 16) args.resize(16);
  const std::string file = halves.size() > 1 ? halves[1] : "";
  const auto read = [&](const std::string& path) -> absl::StatusOr<std::string> {
    if (path == "targets.txt") return file;
    return absl::NotFoundError(path + ": no such file");
  };
  constexpr size_t kMax = 4096;
  absl::StatusOr<std::vector<relayguard::SmtpEndpoint>> targets =
      relayguard::agent::ParseScanTargets(args, read, kMax);
  if (!targets.ok()) {
    FUZZ_CHECK(!targets.status().message().empty(), "an error without a message");
    return 0;
  }
  FUZZ_CHECK(targets->size() <= kMax, std::to_string(targets->size()) + " targets over the limit");
  std::set<std::string> seen;
  for (const relayguard::SmtpEndpoint& e : *targets) {
    FUZZ_CHECK(e.port >= 1, "port 0 in " + e.ToString());
    FUZZ_CHECK(seen.insert(e.ToString()).second, "duplicate target " + e.ToString());
  }
  return 0;
}
