#include "common/endpoint.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace relayguard {
namespace {

// Splits "HOST:PORT" / "[V6]:PORT" into host and port text.
absl::Status SplitHostPort(const std::string& text, std::string& host, std::string& port) {
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find("]:");
    if (close == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not [IPV6]:PORT"));
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    return absl::OkStatus();
  }
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || text.find(':') != colon) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not HOST:PORT (IPv6 needs brackets: [::1]:25)"));
  }
  host = text.substr(0, colon);
  port = text.substr(colon + 1);
  return absl::OkStatus();
}

}  // namespace

std::string SmtpEndpoint::ToString() const {
  return host.family == IpFamily::kV6 ? absl::StrCat("[", host.ToString(), "]:", port)
                                      : absl::StrCat(host.ToString(), ":", port);
}

absl::StatusOr<SmtpEndpoint> ParseSmtpEndpoint(const std::string& text) {
  std::string host, port;
  if (absl::Status s = SplitHostPort(text, host, port); !s.ok()) return s;
  absl::StatusOr<IpAddress> ip = ParseIpAddress(host);
  if (!ip.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\": the host must be an IP address: ", ip.status().message()));
  }
  int number = 0;
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(port, &number) || number < 1 || number > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\": the port must be a number 1..65535"));
  }
  return SmtpEndpoint{*ip, static_cast<uint16_t>(number)};
}

bool IsLoopback(const IpAddress& address) {
  if (address.family == IpFamily::kV4) return address.bytes[0] == 127;
  IpAddress one{IpFamily::kV6, {}};
  one.bytes[15] = 1;
  return address == one;
}

}  // namespace relayguard
