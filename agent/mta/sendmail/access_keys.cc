#include "agent/mta/sendmail/access_keys.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace relayguard::agent::sendmail {
namespace {

// "a.b.c" with 1 to 4 canonical decimal octets (as Sendmail writes a client address).
std::optional<Cidr> V4Prefix(absl::string_view body) {
  std::vector<absl::string_view> parts = absl::StrSplit(body, '.');
  if (parts.empty() || parts.size() > 4) return std::nullopt;
  Cidr network;
  network.address.family = IpFamily::kV4;
  for (size_t i = 0; i < parts.size(); ++i) {
    const absl::string_view p = parts[i];
    uint32_t octet = 0;
    if (p.empty() || p.size() > 3 || (p.size() > 1 && p[0] == '0') ||
        !std::all_of(p.begin(), p.end(), [](char c) { return absl::ascii_isdigit(c); }) ||
        !absl::SimpleAtoi(p, &octet) || octet > 255) {
      return std::nullopt;
    }
    network.address.bytes[i] = static_cast<uint8_t>(octet);
  }
  network.prefix_length = static_cast<int>(8 * parts.size());
  return network;
}

// "2001:db8" (after "IPv6:") with 1 to 8 groups of lower-case hex without leading zeros, or a
// compressed address.
std::optional<Cidr> V6Prefix(absl::string_view groups) {
  if (absl::StrContains(groups, "::")) {
    absl::StatusOr<IpAddress> ip = ParseIpAddress(groups);
    if (!ip.ok() || ip->family != IpFamily::kV6) return std::nullopt;
    return Cidr{*ip, 128};
  }
  std::vector<absl::string_view> parts = absl::StrSplit(groups, ':');
  if (parts.empty() || parts.size() > 8) return std::nullopt;
  Cidr network;
  network.address.family = IpFamily::kV6;
  for (size_t i = 0; i < parts.size(); ++i) {
    const absl::string_view p = parts[i];
    uint32_t group = 0;
    if (p.empty() || p.size() > 4 || (p.size() > 1 && p[0] == '0') ||
        !absl::SimpleHexAtoi(p, &group)) {
      return std::nullopt;
    }
    network.address.bytes[2 * i] = static_cast<uint8_t>(group >> 8);
    network.address.bytes[2 * i + 1] = static_cast<uint8_t>(group & 0xff);
  }
  network.prefix_length = static_cast<int>(16 * parts.size());
  return network;
}

absl::string_view WithoutBrackets(absl::string_view key) {
  if (key.size() >= 2 && key.front() == '[' && key.back() == ']') {
    return key.substr(1, key.size() - 2);
  }
  return key;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> AccessKeysFor(const Cidr& network) {
  const std::array<uint8_t, 16>& b = network.address.bytes;
  const bool v6 = network.address.family == IpFamily::kV6;
  const bool v4_mapped = v6 && network.prefix_length >= 96 && b[10] == 0xff && b[11] == 0xff &&
                         std::all_of(b.begin(), b.begin() + 10, [](uint8_t x) { return x == 0; });
  if (v4_mapped) {  // Sendmail writes such clients as dotted quads
    Cidr v4;
    v4.address.family = IpFamily::kV4;
    std::copy(b.begin() + 12, b.end(), v4.address.bytes.begin());
    v4.prefix_length = network.prefix_length - 96;
    return AccessKeysFor(v4);
  }
  const int unit_bits = v6 ? 16 : 8;
  const int prefix = network.prefix_length;
  int units = (prefix + unit_bits - 1) / unit_bits;
  if (!v6 && units == 0) units = 1;               // there is no empty IPv4 key: 0/0 is 0..255
  const int spread = units * unit_bits - prefix;  // low bits of the last unit left free
  if (spread > 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("network ", network.ToString(), " needs ", uint64_t{1} << spread,
                     " access keys (more than 256): Sendmail matches ", v6 ? "IPv6" : "IPv4",
                     " networks by whole ", v6 ? "16-bit groups" : "octets",
                     "; use a prefix length closer to a multiple of ", unit_bits));
  }
  if (units == 0) return std::vector<std::string>{"Connect:IPv6"};  // ::/0
  std::vector<uint32_t> values;
  for (int k = 0; k < units; ++k) {
    values.push_back(v6 ? (uint32_t{b[2 * k]} << 8) | b[2 * k + 1] : uint32_t{b[k]});
  }
  values.back() &= ~((uint32_t{1} << spread) - 1);  // host bits
  const uint32_t base = values.back();
  std::vector<std::string> keys;
  for (uint32_t i = 0; i < (uint32_t{1} << spread); ++i) {
    values.back() = base | i;
    if (v6) {
      keys.push_back(absl::StrCat("Connect:IPv6:",
                                  absl::StrJoin(values, ":", [](std::string* out, uint32_t v) {
                                    absl::StrAppend(out, absl::Hex(v));
                                  })));
    } else {
      keys.push_back(absl::StrCat("Connect:", absl::StrJoin(values, ".")));
    }
  }
  return keys;
}

std::optional<Cidr> AccessKeyNetwork(absl::string_view std_key) {
  const std::string lower = absl::AsciiStrToLower(std::string(std_key));
  absl::string_view key = WithoutBrackets(lower);
  if (key == "ipv6") return Cidr{IpAddress{IpFamily::kV6, {}}, 0};
  if (absl::ConsumePrefix(&key, "ipv6:")) return V6Prefix(key);
  return V4Prefix(key);
}

bool IsAddressKey(absl::string_view std_key) {
  const std::string lower = absl::AsciiStrToLower(std::string(std_key));
  absl::string_view key = WithoutBrackets(lower);
  if (key == "ipv6") return true;
  if (absl::ConsumePrefix(&key, "ipv6:")) {
    return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
      return absl::ascii_isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    });
  }
  return !key.empty() && absl::ascii_isdigit(static_cast<unsigned char>(key.front())) &&
         std::all_of(key.begin(), key.end(), [](char c) {
           return absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.';
         });
}

}  // namespace relayguard::agent::sendmail
