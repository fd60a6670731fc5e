#include "common/cidr.h"

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"

namespace relayguard {
namespace {

// The input as it appears in messages: in double quotes, control characters escaped so that a
// message never spans lines.
std::string Quote(absl::string_view text) {
  return absl::StrCat("\"", absl::CHexEscape(text), "\"");
}

// A problem with the characters of the text, common to addresses and networks. The errors of
// these helpers are the reason alone; ParseIp and ParseCidr put the input in front.
absl::Status CharacterProblem(absl::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("is empty");
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return absl::InvalidArgumentError("contains a control character");
    if (absl::ascii_isspace(u)) return absl::InvalidArgumentError("contains whitespace");
  }
  if (text.find('[') != absl::string_view::npos || text.find(']') != absl::string_view::npos) {
    return absl::InvalidArgumentError("brackets are not allowed, write the bare address");
  }
  if (text.find('%') != absl::string_view::npos) {
    return absl::InvalidArgumentError("zone ids (\"%...\") are not allowed");
  }
  return absl::OkStatus();
}

// Parses exactly four decimal octets 0..255 without leading zeros into out[0..3].
absl::Status ParseIpv4Into(absl::string_view text, uint8_t* out) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() != 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("an IPv4 address has 4 dot-separated octets, found ", parts.size()));
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    absl::string_view part = parts[i];
    if (part.empty()) return absl::InvalidArgumentError(absl::StrCat("octet ", i + 1, " is empty"));
    if (part.size() > 3)
      return absl::InvalidArgumentError(
          absl::StrCat("octet ", i + 1, " \"", part, "\" is too long"));
    for (char c : part) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        return absl::InvalidArgumentError(
            absl::StrCat("octet ", i + 1, " \"", part, "\" is not a decimal number"));
      }
    }
    if (part.size() > 1 && part[0] == '0') {
      return absl::InvalidArgumentError(absl::StrCat(
          "octet ", i + 1, " \"", part, "\" has a leading zero (ambiguous: octal or decimal)"));
    }
    int value = 0;
    for (char c : part) value = value * 10 + (c - '0');
    if (value > 255)
      return absl::InvalidArgumentError(
          absl::StrCat("octet ", i + 1, " ", value, " is greater than 255"));
    out[i] = static_cast<uint8_t>(value);
  }
  return absl::OkStatus();
}

// Parses 1..4 hex digits.
bool ParseHexGroup(absl::string_view group, uint16_t& value) {
  if (group.empty() || group.size() > 4) return false;
  value = 0;
  for (char c : group) {
    const auto u = static_cast<unsigned char>(c);
    if (!absl::ascii_isxdigit(u)) return false;
    const int digit = absl::ascii_isdigit(u) ? c - '0' : absl::ascii_tolower(u) - 'a' + 10;
    value = static_cast<uint16_t>(value * 16 + digit);
  }
  return true;
}

// Parses a run of ':'-separated groups (no "::" inside); the last group may be a dotted quad
// when `allow_ipv4_tail`. Appends 16-bit words to `words`.
absl::Status ParseIpv6Groups(absl::string_view text, bool allow_ipv4_tail,
                             std::vector<uint16_t>& words) {
  if (text.empty()) return absl::OkStatus();
  std::vector<absl::string_view> groups = absl::StrSplit(text, ':');
  for (size_t i = 0; i < groups.size(); ++i) {
    absl::string_view group = groups[i];
    if (group.empty())
      return absl::InvalidArgumentError(
          "empty group (a single ':' where \"::\" or a group was expected)");
    if (group.find('.') != absl::string_view::npos) {
      if (!allow_ipv4_tail || i + 1 != groups.size()) {
        return absl::InvalidArgumentError(absl::StrCat("embedded IPv4 address \"", group,
                                                       "\" is only allowed as the last 32 bits"));
      }
      uint8_t v4[4];
      if (absl::Status s = ParseIpv4Into(group, v4); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("embedded IPv4 address: ", s.message()));
      }
      words.push_back(static_cast<uint16_t>(v4[0] << 8 | v4[1]));
      words.push_back(static_cast<uint16_t>(v4[2] << 8 | v4[3]));
      continue;
    }
    uint16_t value = 0;
    if (!ParseHexGroup(group, value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("group \"", group, "\" is not 1 to 4 hexadecimal digits"));
    }
    words.push_back(value);
  }
  return absl::OkStatus();
}

absl::Status ParseIpv6Into(absl::string_view text, std::array<uint8_t, 16>& out) {
  const size_t gap = text.find("::");
  std::vector<uint16_t> head;
  std::vector<uint16_t> tail;
  if (gap == absl::string_view::npos) {
    RETURN_IF_ERROR(ParseIpv6Groups(text, /*allow_ipv4_tail=*/true, head));
    if (head.size() != 8) {
      return absl::InvalidArgumentError(
          absl::StrCat("an IPv6 address without \"::\" has 8 groups, found ", head.size()));
    }
  } else {
    if (text.find("::", gap + 2) != absl::string_view::npos)
      return absl::InvalidArgumentError("\"::\" appears more than once");
    absl::string_view before = text.substr(0, gap);
    absl::string_view after = text.substr(gap + 2);
    RETURN_IF_ERROR(ParseIpv6Groups(before, /*allow_ipv4_tail=*/false, head));
    RETURN_IF_ERROR(ParseIpv6Groups(after, /*allow_ipv4_tail=*/true, tail));
    // "::" stands for at least one zero group.
    if (head.size() + tail.size() > 7)
      return absl::InvalidArgumentError("too many groups for an address with \"::\"");
  }
  std::array<uint16_t, 8> words{};
  for (size_t i = 0; i < head.size(); ++i) words[i] = head[i];
  for (size_t i = 0; i < tail.size(); ++i) words[8 - tail.size() + i] = tail[i];
  for (size_t i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<uint8_t>(words[i] >> 8);
    out[2 * i + 1] = static_cast<uint8_t>(words[i] & 0xff);
  }
  return absl::OkStatus();
}

// Parses an address; an error says why (without the input).
absl::Status ParseAddressInto(absl::string_view text, IpAddress& address) {
  RETURN_IF_ERROR(CharacterProblem(text));
  const bool v6 = text.find(':') != absl::string_view::npos;
  const absl::string_view allowed =
      v6 ? absl::string_view("0123456789abcdefABCDEF:.") : absl::string_view("0123456789.");
  const size_t bad = text.find_first_not_of(allowed);
  if (bad != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("character '", absl::CHexEscape(text.substr(bad, 1)), "' is not allowed in ",
                     v6 ? "an IPv6 address" : "an IPv4 address (4 decimal octets)"));
  }
  if (v6) {
    address.family = IpFamily::kV6;
    return ParseIpv6Into(text, address.bytes);
  }
  address.family = IpFamily::kV4;
  return ParseIpv4Into(text, address.bytes.data());
}

int MaxPrefix(IpFamily family) { return family == IpFamily::kV4 ? 32 : 128; }

std::string Ipv4ToString(const uint8_t* b) {
  return absl::StrCat(b[0], ".", b[1], ".", b[2], ".", b[3]);
}

}  // namespace

std::string IpAddress::ToString() const {
  if (family == IpFamily::kV4) return Ipv4ToString(bytes.data());
  std::array<uint16_t, 8> words{};
  for (size_t i = 0; i < 8; ++i)
    words[i] = static_cast<uint16_t>(bytes[2 * i] << 8 | bytes[2 * i + 1]);
  // RFC 5952 section 5: IPv4-mapped addresses are written with the dotted quad tail.
  const bool mapped = words[0] == 0 && words[1] == 0 && words[2] == 0 && words[3] == 0 &&
                      words[4] == 0 && words[5] == 0xffff;
  if (mapped) return absl::StrCat("::ffff:", Ipv4ToString(bytes.data() + 12));
  // The longest run of two or more zero groups, the first one on ties.
  int best_start = -1;
  int best_length = 0;
  for (int i = 0; i < 8;) {
    if (words[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && words[j] == 0) ++j;
    if (j - i > best_length) {
      best_start = i;
      best_length = j - i;
    }
    i = j;
  }
  if (best_length < 2) best_start = -1;
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_length - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    absl::StrAppend(&out, absl::Hex(words[i]));
  }
  return out;
}

std::string Cidr::ToString() const { return absl::StrCat(address.ToString(), "/", prefix_length); }

bool Cidr::Contains(const IpAddress& ip) const {
  if (ip.family != address.family) return false;
  const int full_bytes = prefix_length / 8;
  for (int i = 0; i < full_bytes; ++i) {
    if (ip.bytes[i] != address.bytes[i]) return false;
  }
  const int rest = prefix_length % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (ip.bytes[full_bytes] & mask) == (address.bytes[full_bytes] & mask);
}

absl::StatusOr<IpAddress> ParseIpAddress(absl::string_view std_text) {
  const absl::string_view text(std_text.data(), std_text.size());
  IpAddress address;
  if (text.find('/') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        Quote(text), " is not an IP address: it has a prefix length, write the bare address"));
  }
  if (absl::Status problem = ParseAddressInto(text, address); !problem.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(text), " is not an IP address: ", problem.message()));
  }
  return address;
}

absl::StatusOr<Cidr> ParseCidr(absl::string_view std_text) {
  const absl::string_view text(std_text.data(), std_text.size());
  Cidr cidr;
  const size_t slash = text.find('/');
  absl::string_view address_text = text.substr(0, slash);
  if (absl::Status problem = CharacterProblem(text); !problem.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(text), " is not an IP network: ", problem.message()));
  }
  if (absl::Status problem = ParseAddressInto(address_text, cidr.address); !problem.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(text), " is not an IP network: address ", problem.message()));
  }
  const int max_prefix = MaxPrefix(cidr.address.family);
  if (slash == absl::string_view::npos) {
    cidr.prefix_length = max_prefix;
    return cidr;
  }
  absl::string_view prefix = text.substr(slash + 1);
  if (prefix.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(text), " is not an IP network: prefix length after '/' is missing"));
  }
  const bool all_digits = prefix.find_first_not_of("0123456789") == absl::string_view::npos;
  if (!all_digits || prefix.size() > 3) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(text), " is not an IP network: prefix length \"",
                     absl::CHexEscape(prefix), "\" is not a decimal number 0..", max_prefix));
  }
  if (prefix.size() > 1 && prefix[0] == '0') {
    return absl::InvalidArgumentError(absl::StrCat(
        Quote(text), " is not an IP network: prefix length \"", prefix, "\" has a leading zero"));
  }
  int length = 0;
  if (!absl::SimpleAtoi(prefix, &length) || length > max_prefix) {
    return absl::InvalidArgumentError(absl::StrCat("prefix length ", prefix, " is out of range 0..",
                                                   max_prefix, " in ", Quote(text)));
  }
  cidr.prefix_length = length;
  return cidr;
}

}  // namespace relayguard
