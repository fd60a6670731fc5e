// A desired relay policy, as loaded and validated from a playbook (playbooks/README.md).
#ifndef RELAYGUARD_AGENT_POLICY_POLICY_H_
#define RELAYGUARD_AGENT_POLICY_POLICY_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/cidr.h"

namespace relayguard::agent {

enum class TlsLevel { kNone, kMay, kEncrypt };
const char* TlsLevelName(TlsLevel level);  // "none", "may", "encrypt"

struct ProbeSettings {
  IpAddress untrusted_source{IpFamily::kV4, {127, 0, 0, 9}};
  IpAddress trusted_source{IpFamily::kV4, {127, 0, 0, 1}};
  std::string sender = "relayguard-probe@example.org";
  std::string foreign_recipient = "relay-test@example.net";
  std::string helo_name = "relayguard-probe.invalid";
  std::chrono::milliseconds timeout{10000};       // per SMTP command
  std::chrono::milliseconds settle_timeout{10000};  // how long to wait for a reload to take
};

// ProbeSettings with the documented default addresses (127.0.0.9 untrusted, 127.0.0.1 trusted).
ProbeSettings DefaultProbeSettings();

struct Policy {
  std::string name;       // [a-z0-9][a-z0-9._-]*
  uint64_t version = 0;   // >= 1
  std::string description;
  std::vector<Cidr> trusted_networks;      // at least one
  std::vector<std::string> relay_domains;  // hostnames, may be empty
  bool require_auth = false;  // relaying only for SMTP AUTH users (trusted networks lose it)
  std::optional<TlsLevel> tls;  // unset: relayguard does not touch TLS settings
  ProbeSettings probe;
  std::string source;  // file the policy came from, for messages
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_POLICY_POLICY_H_
