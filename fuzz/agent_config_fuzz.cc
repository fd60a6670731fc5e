// agent.yaml (agent/cli/agent_flags.h AgentConfigSchema, common/config_file.h): loading never
// throws; it sets the settings or fails with an error naming the file.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "agent/cli/agent_flags.h"
#include "common/config_file.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr char kFile[] = "/etc/relayguard/agent.yaml";
  const std::string text(reinterpret_cast<const char*>(data), size);
  relayguard::agent::AgentFlags flags;
  const relayguard::ConfigSchema schema = relayguard::agent::AgentConfigSchema(flags);
  relayguard::ConfigOrigins origins;
  absl::Status loaded;
  try {
    loaded = schema.Load(text, kFile, origins);
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, std::string("Load threw: ") + e.what());
  } catch (...) {
    FUZZ_CHECK(false, "Load threw something");
  }
  if (!loaded.ok()) {
    FUZZ_CHECK(absl::StartsWith(loaded.message(), std::string(kFile) + ":"),
               "error without the file: " + std::string(loaded.message()));
    return 0;
  }
  for (const auto& [key, origin] : origins) {
    FUZZ_CHECK(absl::StrContains(origin, kFile), "setting " + key + " from " + origin);
  }
  (void)schema.Print(origins);
  return 0;
}
