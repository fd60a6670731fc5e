// controller.yaml (controller/config/controller_config.h ControllerConfigSchema,
// common/config_file.h): loading never throws; it sets the settings or fails with an error
// naming the file (fuzz_config_file.h).
#include <cstddef>
#include <cstdint>
#include <string>

#include "controller/config/controller_config.h"
#include "fuzz/fuzz_config_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  relayguard::controller::ControllerConfig config;
  relayguard::fuzz::CheckConfigFileLoad(
      relayguard::controller::ControllerConfigSchema(config),
      std::string(reinterpret_cast<const char*>(data), size), "/etc/relayguard/controller.yaml");
  return 0;
}
