#include "common/host_port.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/cidr.h"
#include "common/hostname.h"

namespace relayguard {

std::string HostPortProblem(const std::string& text, int min_port) {
  std::string host, port;
  if (!text.empty() && text[0] == '[') {
    const size_t close = text.find("]:");
    if (close == std::string::npos) return "is not [IPV6]:PORT";
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    absl::StatusOr<IpAddress> ip = ParseIpAddress(host);
    if (!ip.ok() || ip->family != IpFamily::kV6) {
      return absl::StrCat("\"", host, "\" in brackets is not an IPv6 address");
    }
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) {
      return "is not HOST:PORT (IPv6 needs brackets: [::1]:7443)";
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    const bool looks_numeric =
        !host.empty() && host.find_first_not_of("0123456789.") == std::string::npos;
    if (looks_numeric) {
      if (absl::StatusOr<IpAddress> ip = ParseIpAddress(host); !ip.ok()) {
        return absl::StrCat("the host is not an IP address: ", ip.status().message());
      }
    } else if (!ValidHostName(host)) {
      return absl::StrCat("the host \"", host, "\" is not a host name or an IP address");
    }
  }
  int number = -1;
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(port, &number) || number < min_port || number > 65535) {
    return absl::StrCat("the port must be a number ", min_port, "..65535, got \"", port, "\"");
  }
  return "";
}

absl::StatusOr<std::pair<std::string, int>> SplitListenAddress(const std::string& text,
                                                               const std::string& what) {
  if (std::string problem = HostPortProblem(text, 0); !problem.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " \"", text, "\": ", problem));
  }
  const size_t colon = text.rfind(':');
  int port = 0;
  (void)absl::SimpleAtoi(text.substr(colon + 1), &port);  // checked above
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::make_pair(host, port);
}

}  // namespace relayguard
