#include "agent/policy/policy.h"

#include <cstdio>
#include <cstdlib>

namespace relayguard::agent {

const char* TlsLevelName(TlsLevel level) {
  switch (level) {
    case TlsLevel::kNone:
      return "none";
    case TlsLevel::kMay:
      return "may";
    case TlsLevel::kEncrypt:
      return "encrypt";
  }
  // Only reachable through a cast of an out-of-range integer: a programming error.
  std::fprintf(stderr, "TlsLevelName: invalid TlsLevel %d\n", static_cast<int>(level));
  std::abort();
}

const char* ComplianceModeName(ComplianceMode mode) {
  return mode == ComplianceMode::kEnforce ? "enforce" : "audit";
}

ProbeSettings DefaultProbeSettings() {
  ProbeSettings settings;
  settings.untrusted_source = *ParseIpAddress("127.0.0.9");
  settings.trusted_source = *ParseIpAddress("127.0.0.1");
  return settings;
}

}  // namespace relayguard::agent
