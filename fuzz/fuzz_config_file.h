// The property both configuration files' targets check (agent.yaml, controller.yaml; their
// schemas are common/config_file.h ConfigSchemas): loading `text` as `file` never throws; it
// sets settings, each from `file`, which print, or fails with an error that starts with `file`.
#ifndef RELAYGUARD_FUZZ_FUZZ_CONFIG_FILE_H_
#define RELAYGUARD_FUZZ_FUZZ_CONFIG_FILE_H_

#include <exception>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "common/config_file.h"
#include "fuzz/fuzz_check.h"

namespace relayguard::fuzz {

inline void CheckConfigFileLoad(const ConfigSchema& schema, const std::string& text,
                                const std::string& file) {
  ConfigOrigins origins;
  absl::Status loaded;
  try {
    loaded = schema.Load(text, file, origins);
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, std::string("Load threw: ") + e.what());
  } catch (...) {
    FUZZ_CHECK(false, "Load threw something");
  }
  if (!loaded.ok()) {
    FUZZ_CHECK(absl::StartsWith(loaded.message(), file + ":"),
               "error without the file: " + std::string(loaded.message()));
    return;
  }
  for (const auto& [key, origin] : origins) {
    FUZZ_CHECK(absl::StrContains(origin, file), "setting " + key + " from " + origin);
  }
  (void)schema.Print(origins);
}

}  // namespace relayguard::fuzz

#endif  // RELAYGUARD_FUZZ_FUZZ_CONFIG_FILE_H_
