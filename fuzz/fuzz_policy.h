// The relay policy the editor targets of the fuzz build apply: the lab's (127.0.0.1 and ::1
// relay, the probe comes from 127.0.0.9), with one relay domain.
#ifndef RELAYGUARD_FUZZ_FUZZ_POLICY_H_
#define RELAYGUARD_FUZZ_FUZZ_POLICY_H_

#include <string>

#include "agent/policy/policy.h"
#include "agent/policy/policy_loader.h"
#include "fuzz/fuzz_check.h"

namespace relayguard::fuzz {

inline const agent::Policy& LabPolicy() {
  static const agent::Policy* policy = [] {
    absl::StatusOr<agent::Policy> p = agent::ParsePolicy(R"(name: fuzz
version: 1
relay:
  trusted_networks:
    - 127.0.0.1/32
    - ::1/128
  relay_domains:
    - example.org
probe:
  untrusted_source: 127.0.0.9
  trusted_source: 127.0.0.1
  foreign_recipient: relay-test@example.net
)",
                                                         "fuzz-policy.yaml");
    FUZZ_CHECK(p.ok(), "the fuzz policy does not load: " + std::string(p.status().message()));
    return new agent::Policy(*p);
  }();
  return *policy;
}

}  // namespace relayguard::fuzz

#endif  // RELAYGUARD_FUZZ_FUZZ_POLICY_H_
