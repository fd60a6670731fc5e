// A TCP endpoint with an IP literal host: where an SMTP listener accepts connections, and what a
// probe or a policy (`listeners.internal`) names.
#ifndef RELAYGUARD_COMMON_ENDPOINT_H_
#define RELAYGUARD_COMMON_ENDPOINT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/cidr.h"

namespace relayguard {

struct SmtpEndpoint {
  IpAddress host;
  uint16_t port = 25;
  std::string ToString() const;  // "127.0.0.1:25", "[::1]:25"
  bool operator==(const SmtpEndpoint&) const = default;
};

// Parses "HOST:PORT" / "[V6]:PORT" where HOST is an IP literal and PORT 1..65535.
absl::StatusOr<SmtpEndpoint> ParseSmtpEndpoint(const std::string& text);

// Whether `address` is a loopback address (127.0.0.0/8, ::1): only the host itself reaches it.
bool IsLoopback(const IpAddress& address);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_ENDPOINT_H_
