// The policy YAML loader (agent/policy/policy_loader.h): never throws; either a policy or an
// error naming the file ("FILE:LINE:COL: ..." or "FILE: ...").
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "agent/policy/policy_loader.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr char kFile[] = "fuzz-policy.yaml";
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<relayguard::agent::Policy> policy;
  try {
    policy = relayguard::agent::ParsePolicy(text, kFile);
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, std::string("ParsePolicy threw: ") + e.what());
  } catch (...) {
    FUZZ_CHECK(false, "ParsePolicy threw something");
  }
  if (!policy.ok()) {
    // "FILE:LINE:COL: ...": the place of the problem, as the loader promises.
    const std::string message(policy.status().message());
    const std::string prefix = std::string(kFile) + ":";
    FUZZ_CHECK(absl::StartsWith(message, prefix) && message.size() > prefix.size() &&
                   isdigit(static_cast<unsigned char>(message[prefix.size()])),
               "error without FILE:LINE: " + message);
    return 0;
  }
  FUZZ_CHECK(!policy->trusted_networks.empty() && policy->version >= 1 && !policy->name.empty(),
             "a policy accepted without what the loader requires");
  return 0;
}
