#include "agent/mta/postfix/stranger_samples.h"

#include <cstddef>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/mta/postfix/table_text.h"
#include "common/cidr.h"

namespace relayguard::agent::postfix {
namespace {

// IPv6 strangers, each in its own /32: documentation space (2001:db8::/32, 3fff::/20) and
// made-up addresses shaped like the global unicast space providers hand out.
constexpr absl::string_view kIpv6Strangers[] = {
    "2001:db8:5c7a:e10::2f", "3fff:0:1b2::9",     "3fff:a5c:3::44", "2001:4c0:5e:3::11",
    "2a0f:7c31:52::e4",      "2604:a8e0:1d::61",  "2c0f:e83a:9::2", "2405:31b0:7::5a",
    "2803:f2c0:c1::3",       "2a01:5e8:ab:1::17",
};

// Verified client host names of strangers; "unknown" is added as decisive.
constexpr absl::string_view kNameStrangers[] = {
    "relayguard-probe.invalid",
    "mail.example.net",
    "smtp.example.org",
    "mx1.example.com",
    "host-198-51-100-7.dsl.example-isp.net",
    "203-0-113-9.static.example-hosting.com",
    "client-17.pool.example-telecom.fr",
    "mail.example.co.uk",
    "mx.example.de",
};

constexpr absl::string_view kRecipientStrangers[] = {
    "postmaster@example.org",  "postmaster@example.com",
    "abuse@example.com",       "victim@[192.0.2.1]",
    "info@mail.example.co.uk", "user%example.net@relayguard-probe.invalid",
    "someone@example.de",
};

// Second-level labels under which country registries sell names ("co.uk", "com.au").
constexpr absl::string_view kSecondLevelSuffixes[] = {"co", "com", "net", "org", "gov", "edu",
                                                     "ac", "ne",  "or",  "go",  "gob", "nic"};

std::string AddressGroup(const IpAddress& address) {
  const auto& b = address.bytes;
  if (address.family == IpFamily::kV4) return absl::StrCat(b[0], ".", b[1], "/16");
  return absl::StrCat(absl::Hex(b[0] << 8 | b[1]), ":", absl::Hex(b[2] << 8 | b[3]), "::/32");
}

bool InsideAllowed(const Policy& policy, const IpAddress& address) {
  for (const std::vector<Cidr>* allowed : {&policy.trusted_networks, &policy.partners}) {
    for (const Cidr& network : *allowed) {
      if (network.address.family == address.family && network.Contains(address)) return true;
    }
  }
  return false;
}

void AddAddress(const Policy& policy, const IpAddress& address, bool decisive,
                std::vector<StrangerSample>& out) {
  if (InsideAllowed(policy, address)) return;
  out.push_back(StrangerSample{address.ToString(), AddressGroup(address), decisive});
}

std::string DomainOf(absl::string_view recipient) {
  const size_t at = recipient.rfind('@');
  return absl::AsciiStrToLower(at == absl::string_view::npos ? "" : recipient.substr(at + 1));
}

}  // namespace

std::vector<StrangerSample> ClientSamples(const Policy& policy) {
  std::vector<StrangerSample> out;
  AddAddress(policy, policy.probe.untrusted_source, /*decisive=*/true, out);
  for (int first = 0; first <= 223; ++first) {
    for (int k = 0; k < 4; ++k) {
      IpAddress address;
      address.family = IpFamily::kV4;
      address.bytes[0] = static_cast<uint8_t>(first);
      address.bytes[1] = static_cast<uint8_t>((first * 37 + 11 + 64 * k) % 256);
      address.bytes[2] = static_cast<uint8_t>((first * 53 + 7 + 29 * k) % 256);
      address.bytes[3] = static_cast<uint8_t>((first * 89 + 3 + 41 * k) % 254 + 1);
      AddAddress(policy, address, /*decisive=*/false, out);
    }
  }
  for (absl::string_view text : kIpv6Strangers) {
    absl::StatusOr<IpAddress> address = ParseIpAddress(text);
    if (address.ok()) AddAddress(policy, *address, /*decisive=*/false, out);
  }
  out.push_back(StrangerSample{"unknown", "unknown", /*decisive=*/true});
  for (absl::string_view name : kNameStrangers) {
    out.push_back(StrangerSample{std::string(name), RegisteredDomain(name), false});
  }
  return out;
}

std::vector<StrangerSample> RecipientSamples(const Policy& policy) {
  std::vector<StrangerSample> out;
  auto add = [&](absl::string_view recipient, bool decisive) {
    const std::string domain = DomainOf(recipient);
    for (const std::string& relay_domain : policy.relay_domains) {
      if (InDomain(domain, absl::AsciiStrToLower(relay_domain))) return;
    }
    out.push_back(StrangerSample{std::string(recipient), RegisteredDomain(domain), decisive});
  };
  add(policy.probe.foreign_recipient, /*decisive=*/true);
  for (absl::string_view recipient : kRecipientStrangers) add(recipient, /*decisive=*/false);
  return out;
}

bool IsPublicSuffix(absl::string_view name) {
  if (name.empty()) return true;
  std::vector<std::string> labels = absl::StrSplit(name, '.');
  if (labels.size() == 1) return true;
  if (labels.size() != 2 || labels[1].size() != 2) return false;
  for (absl::string_view second : kSecondLevelSuffixes) {
    if (labels[0] == second) return true;
  }
  return false;
}

std::string RegisteredDomain(absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(name);
  if (absl::StartsWith(lower, "[")) return lower;
  std::vector<std::string> labels = absl::StrSplit(lower, '.');
  if (labels.size() <= 2) return lower;
  const size_t n = labels.size();
  const std::string last_two = absl::StrCat(labels[n - 2], ".", labels[n - 1]);
  if (IsPublicSuffix(last_two)) return absl::StrCat(labels[n - 3], ".", last_two);
  return last_two;
}

bool InDomain(absl::string_view name, absl::string_view domain) {
  if (domain.empty()) return false;
  return name == domain ||
         (name.size() > domain.size() && absl::EndsWith(name, domain) &&
          name[name.size() - domain.size() - 1] == '.');
}

}  // namespace relayguard::agent::postfix
