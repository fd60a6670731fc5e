#include "agent/policy/policy.h"

#include <algorithm>
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

const char* SaslBackendName(SaslBackend backend) {
  switch (backend) {
    case SaslBackend::kDovecot:
      return "dovecot";
    case SaslBackend::kSaslauthd:
      return "saslauthd";
    case SaslBackend::kSasldb:
      return "sasldb";
    case SaslBackend::kPasswordFile:
      return "password-file";
  }
  std::fprintf(stderr, "SaslBackendName: invalid SaslBackend %d\n", static_cast<int>(backend));
  std::abort();
}

const char* AuthMechanismName(AuthMechanism mechanism) {
  switch (mechanism) {
    case AuthMechanism::kPlain:
      return "PLAIN";
    case AuthMechanism::kLogin:
      return "LOGIN";
  }
  std::fprintf(stderr, "AuthMechanismName: invalid AuthMechanism %d\n",
               static_cast<int>(mechanism));
  std::abort();
}

ProbeSettings DefaultProbeSettings() {
  ProbeSettings settings;
  settings.untrusted_source = *ParseIpAddress("127.0.0.9");
  settings.trusted_source = *ParseIpAddress("127.0.0.1");
  return settings;
}

std::vector<Cidr> RelayClients(const Policy& policy) {
  std::vector<Cidr> out = policy.trusted_networks;
  for (const Cidr& p : policy.partners) {
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

namespace {

// Whether every address of `inner` lies in `outer`.
bool Inside(const Cidr& inner, const Cidr& outer) {
  return inner.address.family == outer.address.family &&
         inner.prefix_length >= outer.prefix_length && outer.Contains(inner.address);
}

}  // namespace

bool GrantsStrangers(const Policy& policy, const Cidr& network) {
  for (const std::vector<Cidr>* allowed : {&policy.trusted_networks, &policy.partners}) {
    for (const Cidr& a : *allowed) {
      if (Inside(network, a)) return false;
    }
  }
  const IpAddress& stranger = policy.probe.untrusted_source;
  if (stranger.family == network.address.family && network.Contains(stranger)) return true;
  const int widest = network.address.family == IpFamily::kV4 ? kWidestPartnerV4 : kWidestPartnerV6;
  return network.prefix_length < widest;
}

}  // namespace relayguard::agent
