#include "agent/probe/scan_targets.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace relayguard::agent {
namespace {

// Splits "NET:PORT" / "[NET]:PORT" / "NET" into the network text and the port.
absl::Status SplitPort(absl::string_view text, std::string* net, uint16_t* port) {
  *port = 25;
  absl::string_view host = text;
  absl::string_view port_text;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close == absl::string_view::npos) return absl::InvalidArgumentError("missing ']'");
    port_text = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!port_text.empty()) {
      if (port_text.front() != ':') return absl::InvalidArgumentError("junk after ']'");
      port_text.remove_prefix(1);
    }
  } else if (size_t colon = host.rfind(':'); colon != absl::string_view::npos &&
                                             host.find(':') == colon) {
    port_text = host.substr(colon + 1);  // IPv4 or name with one colon: the port
    host = host.substr(0, colon);
  }
  if (!port_text.empty()) {
    int p = 0;
    if (!absl::SimpleAtoi(std::string(port_text), &p) || p < 1 || p > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("port \"", port_text, "\" is not 1..65535"));
    }
    *port = static_cast<uint16_t>(p);
  }
  *net = std::string(host);
  return absl::OkStatus();
}

// Every address of `cidr` as the scan should try it.
absl::Status Expand(const Cidr& cidr, uint16_t port, size_t max_targets,
                    std::vector<SmtpEndpoint>& out) {
  const int bits = cidr.address.family == IpFamily::kV4 ? 32 : 128;
  const int host_bits = bits - cidr.prefix_length;
  if (host_bits > 16) {
    return absl::InvalidArgumentError(absl::StrCat(
        cidr.ToString(), " holds more than 65536 addresses; scan smaller networks"));
  }
  const uint64_t count = uint64_t{1} << host_bits;
  const bool skip_edges = cidr.address.family == IpFamily::kV4 && host_bits > 1;
  // The network address: the host bits of what was written cleared.
  IpAddress base = cidr.address;
  for (int bit = cidr.prefix_length; bit < bits; ++bit) {
    base.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  }
  for (uint64_t i = 0; i < count; ++i) {
    if (skip_edges && (i == 0 || i == count - 1)) continue;
    if (out.size() >= max_targets) {
      return absl::InvalidArgumentError(absl::StrCat("more than ", max_targets, " targets"));
    }
    IpAddress a = base;
    uint64_t carry = i;
    for (int byte = bits / 8 - 1; byte >= 0 && carry > 0; --byte) {
      uint64_t sum = a.bytes[byte] + (carry & 0xff);
      a.bytes[byte] = static_cast<uint8_t>(sum);
      carry = (carry >> 8) + (sum >> 8);
    }
    out.push_back({a, port});
  }
  return absl::OkStatus();
}

absl::Status AddTarget(absl::string_view text, size_t max_targets,
                       std::vector<SmtpEndpoint>& out) {
  std::string net;
  uint16_t port = 25;
  RETURN_IF_ERROR(SplitPort(text, &net, &port));
  if (net.find('/') != std::string::npos) {
    ASSIGN_OR_RETURN(Cidr cidr, ParseCidr(net));
    return Expand(cidr, port, max_targets, out);
  }
  absl::StatusOr<IpAddress> address = ParseIpAddress(net);
  if (!address.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", net, "\" is not an IP address or network (host names are not resolved)"));
  }
  if (out.size() >= max_targets) {
    return absl::InvalidArgumentError(absl::StrCat("more than ", max_targets, " targets"));
  }
  out.push_back({*address, port});
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<SmtpEndpoint>> ParseScanTargets(const std::vector<std::string>& args,
                                                           const FileReader& read,
                                                           size_t max_targets) {
  std::vector<SmtpEndpoint> all;
  auto add = [&](absl::string_view text, const std::string& where) -> absl::Status {
    absl::Status s = AddTarget(text, max_targets, all);
    if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", s.message()));
    return absl::OkStatus();
  };
  for (const std::string& arg : args) {
    if (arg.empty()) return absl::InvalidArgumentError("an empty target");
    if (arg.front() != '@') {
      RETURN_IF_ERROR(add(arg, absl::StrCat("target \"", arg, "\"")));
      continue;
    }
    const std::string path = arg.substr(1);
    absl::StatusOr<std::string> text = read(path);
    if (!text.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("cannot read targets file ", path, ": ",
                                                     text.status().message()));
    }
    int number = 0;
    for (absl::string_view line : absl::StrSplit(*text, '\n')) {
      ++number;
      line = line.substr(0, line.find('#'));
      line = absl::StripAsciiWhitespace(line);
      if (line.empty()) continue;
      RETURN_IF_ERROR(add(line, absl::StrCat(path, ":", number)));
    }
  }
  // Duplicates dropped, order kept.
  std::vector<SmtpEndpoint> unique;
  std::set<std::string> seen;
  for (const SmtpEndpoint& e : all) {
    if (seen.insert(e.ToString()).second) unique.push_back(e);
  }
  if (unique.empty()) return absl::InvalidArgumentError("no targets given");
  return unique;
}

}  // namespace relayguard::agent
