// Strict parsing of IPv4/IPv6 addresses and CIDR networks. Policy values end up inside MTA
// configuration files, so anything that is not exactly an address or a network is refused.
#ifndef RELAYGUARD_COMMON_CIDR_H_
#define RELAYGUARD_COMMON_CIDR_H_

#include <array>
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace relayguard {

enum class IpFamily { kV4, kV6 };

struct IpAddress {
  IpFamily family = IpFamily::kV4;
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4 bytes

  // Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as "::").
  std::string ToString() const;
  bool operator==(const IpAddress&) const = default;
};

struct Cidr {
  IpAddress address;   // host bits as written (may be non-zero, e.g. 192.168.1.7/24)
  int prefix_length = 0;

  // "192.0.2.0/24", "2001:db8::/32" (canonical address, prefix always written).
  std::string ToString() const;
  // Whether `ip` falls inside this network (families must match).
  bool Contains(const IpAddress& ip) const;
  bool operator==(const Cidr&) const = default;
};

// Parses a bare address ("127.0.0.1", "::1"). No brackets, no zone ids, no leading zeros in
// IPv4 octets, no surrounding whitespace.
absl::StatusOr<IpAddress> ParseIpAddress(absl::string_view text);

// Parses "ADDR/LEN" or a bare address (taken as /32 or /128). IPv4 prefix 0..32, IPv6 0..128.
// Errors say what is wrong, e.g. `prefix length 33 is out of range 0..32 in "10.0.0.0/33"`.
absl::StatusOr<Cidr> ParseCidr(absl::string_view text);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_CIDR_H_
