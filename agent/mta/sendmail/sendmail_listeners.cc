#include "agent/mta/sendmail/sendmail_listeners.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/endpoint.h"
#include "common/status_macros.h"

namespace relayguard::agent::sendmail {
namespace {

struct Context {
  absl::string_view cf_path;
  const SendmailLookups& lookups;
};

absl::Status Unreadable(const Context& c, const DaemonPortOptions& d, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(
      c.cf_path, ":", d.line, ": DaemonPortOptions ", what,
      ": relayguard cannot tell where this daemon listens; fix it, or give --smtp HOST:PORT"));
}

absl::StatusOr<uint16_t> PortOf(const Context& c, const DaemonPortOptions& d) {
  const std::string service = d.port.empty() ? "smtp" : d.port;
  if (absl::ascii_isdigit(static_cast<unsigned char>(service.front()))) {
    // sendmail takes atoi() of the value: its leading digits.
    size_t digits = 0;
    while (digits < service.size() && absl::ascii_isdigit(service[digits])) ++digits;
    uint32_t port = 0;
    if (digits > 5 || !absl::SimpleAtoi(service.substr(0, digits), &port) || port == 0 ||
        port > 65535) {
      return Unreadable(c, d, absl::StrCat("Port=", d.port, " is not a port number"));
    }
    return static_cast<uint16_t>(port);
  }
  if (c.lookups.service_port) {
    if (std::optional<uint16_t> port = c.lookups.service_port(service)) return *port;
  }
  if (d.port.empty()) return 25;  // no /etc/services entry for smtp: its well-known port
  return Unreadable(c, d,
                    absl::StrCat("Port=", d.port,
                                 " is neither a number nor a TCP service "
                                 "of /etc/services"));
}

absl::StatusOr<IpFamily> FamilyOf(const Context& c, const DaemonPortOptions& d) {
  // Family= may also be the number of the address family (Linux: AF_INET 2, AF_INET6 10).
  if (d.family.empty() || d.family == "inet" || d.family == "2") return IpFamily::kV4;
  if (d.family == "inet6" || d.family == "10") return IpFamily::kV6;
  return Unreadable(c, d, absl::StrCat("Family=", d.family, " is neither inet nor inet6"));
}

// The bound address; nullopt for every interface.
absl::StatusOr<std::optional<IpAddress>> AddressOf(const Context& c, const DaemonPortOptions& d,
                                                   IpFamily family) {
  if (d.addr.empty()) return std::optional<IpAddress>();
  std::optional<IpAddress> ip;
  absl::string_view addr = d.addr;
  // inet: sendmail tries inet_addr() only when the value starts with a digit.
  bool literal = true;
  if (family == IpFamily::kV6) {
    absl::ConsumePrefix(&addr, "IPv6:");  // sendmail's anynet_pton skips it
  } else {
    literal = absl::ascii_isdigit(static_cast<unsigned char>(addr.front()));
  }
  if (literal) {
    if (absl::StatusOr<IpAddress> parsed =
            ParseIpAddress(addr);
        parsed.ok() && parsed->family == family) {
      ip = *parsed;
    }
  }
  if (!ip && c.lookups.resolve_host) ip = c.lookups.resolve_host(d.addr, family);
  if (!ip) {
    return Unreadable(
        c, d,
        absl::StrCat("Addr=", d.addr, " is not an ", family == IpFamily::kV4 ? "IPv4" : "IPv6",
                     " address of this host"));
  }
  const bool any =
      std::all_of(ip->bytes.begin(), ip->bytes.end(), [](uint8_t b) { return b == 0; });
  if (any) return std::optional<IpAddress>();
  return ip;
}

bool IsSubmissionName(absl::string_view name) {
  return absl::StartsWithIgnoreCase(name, "MSA") || absl::StartsWithIgnoreCase(name, "MSP");
}

// One listener; `v4_ports` are the ports of inet daemons (for an inet6 wildcard's probe).
absl::StatusOr<std::optional<SendmailListener>> ListenerOf(const Context& c,
                                                           const DaemonPortOptions& d, size_t index,
                                                           const std::vector<uint16_t>& v4_ports) {
  if (d.family == "unix" || d.family == "local") return std::optional<SendmailListener>();
  SendmailListener sl;
  sl.daemon = d;
  ASSIGN_OR_RETURN(IpFamily family, FamilyOf(c, d));
  ASSIGN_OR_RETURN(uint16_t port, PortOf(c, d));
  ASSIGN_OR_RETURN(std::optional<IpAddress> addr, AddressOf(c, d, family));
  Listener& l = sl.listener;
  l.endpoint.port = port;
  const IpAddress v4_loopback{IpFamily::kV4, {127, 0, 0, 1}};
  const IpAddress v6_loopback{IpFamily::kV6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
  if (addr) {
    l.endpoint.host = *addr;
    l.bind = addr->ToString();
    l.loopback_only = IsLoopback(*addr);
  } else if (family == IpFamily::kV4) {
    l.endpoint.host = v4_loopback;
    l.bind = "0.0.0.0";
  } else {
    const bool v4_taken = std::find(v4_ports.begin(), v4_ports.end(), port) != v4_ports.end();
    l.endpoint.host = v4_taken ? v6_loopback : v4_loopback;
    l.bind = "::";
    if (!v4_taken) {
      sl.notes.push_back(
          "an IPv6 wildcard also takes IPv4 connections on Linux: probed on "
          "127.0.0.1");
    }
  }
  l.service = d.name.empty() ? absl::StrCat("Daemon", index) : d.name;
  if (d.Has('s')) {
    if (c.lookups.starttls) {
      l.tls = ListenerTls::kImplicit;
    } else {
      sl.notes.push_back("M=s has no effect: sendmail was built without STARTTLS");
    }
  }
  if (d.Has('a')) {
    if (c.lookups.sasl) {
      sl.auth_required = true;
      if (d.Has('A')) {
        sl.notes.push_back(
            "M=a requires authentication and M=A offers no AUTH: no client can "
            "send mail through it");
      }
    } else {
      sl.notes.push_back("M=a has no effect: sendmail was built without SASL");
    }
  }
  l.role = sl.auth_required || port == 587 || port == 465 || IsSubmissionName(l.service)
               ? ListenerRole::kSubmission
               : ListenerRole::kRelay;
  for (const std::string& u : d.unknown) {
    sl.notes.push_back(absl::StrCat("sendmail ignores the unknown field \"", u, "\""));
  }
  return std::optional<SendmailListener>(std::move(sl));
}

}  // namespace

absl::StatusOr<std::vector<SendmailListener>> SendmailListeners(absl::string_view cf,
                                                                absl::string_view std_cf_path,
                                                                absl::string_view mc,
                                                                absl::string_view std_mc_path,
                                                                const SendmailLookups& lookups) {
  const absl::string_view cf_path(std_cf_path.data(), std_cf_path.size());
  const absl::string_view mc_path(std_mc_path.data(), std_mc_path.size());
  const Context c{cf_path, lookups};
  std::vector<DaemonPortOptions> daemons = CfDaemonPortOptions(cf);
  const bool built_in = daemons.empty();
  if (built_in) daemons.emplace_back();  // sendmail's one default daemon ("Daemon0")
  std::vector<uint16_t> v4_ports;
  for (const DaemonPortOptions& d : daemons) {
    absl::StatusOr<IpFamily> family = FamilyOf(c, d);
    absl::StatusOr<uint16_t> port = PortOf(c, d);
    if (family.ok() && *family == IpFamily::kV4 && port.ok()) v4_ports.push_back(*port);
  }
  const std::vector<size_t> mc_lines = MatchMcDaemonOptions(daemons, McDaemonOptionsCalls(mc));
  std::vector<SendmailListener> listeners;
  for (size_t i = 0; i < daemons.size(); ++i) {
    ASSIGN_OR_RETURN(std::optional<SendmailListener> sl, ListenerOf(c, daemons[i], i, v4_ports));
    if (!sl) continue;
    if (built_in) {
      sl->listener.service = "Daemon0, sendmail's default: no DaemonPortOptions";
      sl->listener.declared_at = std::string(cf_path);
    } else if (mc_lines[i] != 0) {
      sl->listener.declared_at = absl::StrCat(mc_path, ":", mc_lines[i]);
    } else {
      sl->listener.declared_at = absl::StrCat(cf_path, ":", daemons[i].line);
    }
    listeners.push_back(*std::move(sl));
  }
  return listeners;
}

std::map<std::string, uint16_t> TcpServicePorts(absl::string_view std_text) {
  std::map<std::string, uint16_t> ports;
  for (absl::string_view line :
       absl::StrSplit(std_text, '\n')) {
    line = line.substr(0, line.find('#'));
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (words.size() < 2) continue;
    std::vector<absl::string_view> port_proto = absl::StrSplit(words[1], '/');
    uint32_t port = 0;
    if (port_proto.size() != 2 || port_proto[1] != "tcp" ||
        !absl::SimpleAtoi(port_proto[0], &port) || port == 0 || port > 65535) {
      continue;
    }
    for (size_t k = 0; k < words.size(); ++k) {
      if (k == 1) continue;
      ports.emplace(std::string(words[k]), static_cast<uint16_t>(port));  // the first one wins
    }
  }
  return ports;
}

}  // namespace relayguard::agent::sendmail
