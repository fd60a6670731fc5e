// Addresses, networks, endpoints and host names (common/cidr.h, endpoint.h, hostname.h): what
// parses prints as text that parses to the same value.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/cidr.h"
#include "common/endpoint.h"
#include "common/hostname.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<relayguard::IpAddress> ip = relayguard::ParseIpAddress(text);
  if (ip.ok()) {
    absl::StatusOr<relayguard::IpAddress> back = relayguard::ParseIpAddress(ip->ToString());
    FUZZ_CHECK(back.ok() && *back == *ip, "address " + text + " prints as " + ip->ToString());
  }
  absl::StatusOr<relayguard::Cidr> cidr = relayguard::ParseCidr(text);
  if (cidr.ok()) {
    absl::StatusOr<relayguard::Cidr> back = relayguard::ParseCidr(cidr->ToString());
    FUZZ_CHECK(back.ok() && *back == *cidr, "network " + text + " prints as " + cidr->ToString());
    FUZZ_CHECK(cidr->prefix_length >= 0 &&
                   cidr->prefix_length <= (cidr->address.family == relayguard::IpFamily::kV4 ? 32 : 128),
               "prefix length " + std::to_string(cidr->prefix_length));
    if (ip.ok()) FUZZ_CHECK(cidr->Contains(*ip), text + " does not contain itself");
  }
  absl::StatusOr<relayguard::SmtpEndpoint> endpoint = relayguard::ParseSmtpEndpoint(text);
  if (endpoint.ok()) {
    absl::StatusOr<relayguard::SmtpEndpoint> back =
        relayguard::ParseSmtpEndpoint(endpoint->ToString());
    FUZZ_CHECK(back.ok() && *back == *endpoint,
               "endpoint " + text + " prints as " + endpoint->ToString());
    FUZZ_CHECK(endpoint->port >= 1, "port 0 accepted");
  }
  (void)relayguard::ValidHostName(text);
  return 0;
}
