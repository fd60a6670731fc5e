// agent.yaml (agent/cli/agent_flags.h AgentConfigSchema, common/config_file.h): loading never
// throws; it sets the settings or fails with an error naming the file (fuzz_config_file.h).
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/cli/agent_flags.h"
#include "fuzz/fuzz_config_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  relayguard::agent::AgentFlags flags;
  relayguard::fuzz::CheckConfigFileLoad(relayguard::agent::AgentConfigSchema(flags),
                                        std::string(reinterpret_cast<const char*>(data), size),
                                        "/etc/relayguard/agent.yaml");
  return 0;
}
