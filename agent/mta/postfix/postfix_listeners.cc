#include "agent/mta/postfix/postfix_listeners.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/mta/postfix/relay_judgement.h"
#include "agent/mta/postfix/restriction_list.h"
#include "common/endpoint.h"

namespace relayguard::agent::postfix {
namespace {

std::string CommandName(const std::string& command) {
  return command.substr(command.rfind('/') + 1);
}

bool IsSmtpdService(const MasterCf::Service& s) {
  const std::string command = CommandName(s.command);
  return (s.type == "inet" && (command == "smtpd" || command == "postscreen")) ||
         (s.type == "pass" && command == "smtpd");
}

struct Protocols {
  bool v4 = true;
  bool v6 = true;
  bool Enabled(IpFamily f) const { return f == IpFamily::kV4 ? v4 : v6; }
};

Protocols ParseProtocols(const std::string& value) {
  Protocols p{false, false};
  for (const std::string& w : SplitListWords(absl::AsciiStrToLower(value))) {
    if (w == "all") p = {true, true};
    if (w == "ipv4") p.v4 = true;
    if (w == "ipv6") p.v6 = true;
  }
  if (!p.v4 && !p.v6) p.v4 = true;  // Postfix refuses an empty value; judge as IPv4
  return p;
}

IpAddress Loopback(IpFamily family) {
  return *ParseIpAddress(family == IpFamily::kV4 ? "127.0.0.1" : "::1");
}

bool IsWildcard(const IpAddress& a) { return a == IpAddress{a.family, {}}; }

// One address smtpd binds, as declared.
struct Bind {
  std::string declared;  // "127.0.0.1", "all", "0.0.0.0"
  IpAddress address;     // where a client connects (a wildcard is reached on loopback)
  bool loopback_only = false;
};

absl::StatusOr<std::vector<Bind>> HostBinds(const std::string& host, const Protocols& protocols,
                                            const NameResolvers& resolvers) {
  std::string bare = host;
  if (bare.size() > 1 && bare.front() == '[' && bare.back() == ']') {
    bare = bare.substr(1, bare.size() - 2);
  }
  std::vector<Bind> binds;
  const std::string lower = absl::AsciiStrToLower(bare);
  if (lower == "all" || lower == "loopback-only") {
    for (IpFamily f : {IpFamily::kV4, IpFamily::kV6}) {
      if (!protocols.Enabled(f)) continue;
      binds.push_back(
          {lower == "all" ? "all" : Loopback(f).ToString(), Loopback(f), lower != "all"});
      if (lower == "all") break;  // one listener: every address, probed on loopback
    }
    return binds;
  }
  std::vector<IpAddress> addresses;
  if (absl::StatusOr<IpAddress> a = ParseIpAddress(bare); a.ok()) {
    addresses.push_back(*a);
  } else {
    absl::StatusOr<std::vector<IpAddress>> resolved = resolvers.host(bare);
    if (!resolved.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("host \"", host, "\" does not resolve (", resolved.status().message(), ")"));
    }
    addresses = *resolved;
  }
  for (const IpAddress& a : addresses) {
    if (!protocols.Enabled(a.family)) continue;
    if (IsWildcard(a)) {
      binds.push_back({a.ToString(), Loopback(a.family), false});
    } else {
      binds.push_back({a.ToString(), a, IsLoopback(a)});
    }
  }
  return binds;  // may be empty: an address of a disabled protocol is not bound
}

absl::StatusOr<uint16_t> ResolvePort(const std::string& port, const NameResolvers& resolvers) {
  if (port == "smtp") return 25;
  if (port == "submission") return 587;
  if (port == "smtps" || port == "submissions") return 465;
  int number = 0;
  if (absl::SimpleAtoi(port, &number)) {
    if (number > 0 && number <= 65535) return static_cast<uint16_t>(number);
    return absl::InvalidArgumentError(absl::StrCat("port ", port, " is out of range 1..65535"));
  }
  if (std::optional<uint16_t> p = resolvers.port(port)) return *p;
  return absl::InvalidArgumentError(
      absl::StrCat("service name \"", port, "\" is not a known TCP port (/etc/services)"));
}

bool IsSubmissionName(const std::string& port, uint16_t number) {
  return port == "submission" || port == "submissions" || port == "smtps" || number == 587 ||
         number == 465;
}

// Whether trusted networks relay through the service on `rules_line` (both lists must let
// them pass from Postfix 2.10 on).
absl::StatusOr<bool> TrustedRelays(const PostfixConfig& config, int rules_line) {
  std::vector<std::string> lists = {"smtpd_recipient_restrictions"};
  if (config.version.HasRelayRestrictions()) lists.push_back("smtpd_relay_restrictions");
  for (const std::string& param : lists) {
    absl::StatusOr<RestrictionList> list = BuildRestrictionList(config, rules_line, param);
    if (!list.ok()) return list.status();
    if (!RelayJudge::TrustedPasses(*list)) return false;
  }
  return true;
}

// The role of a service, stable under relayguard's own edits (require_auth removes
// permit_mynetworks, which must not turn port 25 into a submission port): 587/465 and their
// names are submission, port 25 is relay, and another port is submission when its own -o
// overrides write relay rules that trusted networks do not pass (a custom submission port).
absl::StatusOr<ListenerRole> RoleOf(const PostfixConfig& config, const std::string& port,
                                    uint16_t number, int rules_line) {
  if (IsSubmissionName(port, number)) return ListenerRole::kSubmission;
  if (number == 25) return ListenerRole::kRelay;
  const MasterCf::Service* service = config.master_cf.ServiceAt(rules_line);
  const bool own_rules = service != nullptr && (service->Find("smtpd_relay_restrictions") ||
                                                service->Find("smtpd_recipient_restrictions"));
  if (!own_rules) return ListenerRole::kRelay;
  absl::StatusOr<bool> trusted = TrustedRelays(config, rules_line);
  if (!trusted.ok()) return trusted.status();
  return *trusted ? ListenerRole::kRelay : ListenerRole::kSubmission;
}

}  // namespace

NameResolvers SystemResolvers() {
  NameResolvers r;
  r.port = [](const std::string& name) -> std::optional<uint16_t> {
    servent* s = getservbyname(name.c_str(), "tcp");
    if (s == nullptr) return std::nullopt;
    return static_cast<uint16_t>(ntohs(static_cast<uint16_t>(s->s_port)));
  };
  r.host = [](const std::string& name) -> absl::StatusOr<std::vector<IpAddress>> {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* result = nullptr;
    if (int rc = getaddrinfo(name.c_str(), nullptr, &hints, &result); rc != 0) {
      return absl::NotFoundError(gai_strerror(rc));
    }
    std::vector<IpAddress> out;
    for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
      char text[INET6_ADDRSTRLEN] = {};
      const void* raw =
          ai->ai_family == AF_INET
              ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr)
              : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr);
      if (inet_ntop(ai->ai_family, raw, text, sizeof text) == nullptr) continue;
      absl::StatusOr<IpAddress> a = ParseIpAddress(text);
      if (a.ok() && std::find(out.begin(), out.end(), *a) == out.end()) out.push_back(*a);
    }
    freeaddrinfo(result);
    return out;
  };
  return r;
}

std::vector<const MasterCf::Service*> SmtpdServices(const MasterCf& master_cf) {
  std::vector<const MasterCf::Service*> out;
  for (const MasterCf::Service& s : master_cf.Services()) {
    if (s.fields >= 8 && IsSmtpdService(s)) out.push_back(&s);
  }
  return out;
}

namespace {

// The line of the pass service postscreen hands clients to (smtpd_service_name).
absl::StatusOr<int> PassServiceLine(const PostfixConfig& config, const MasterCf::Service& s) {
  const std::string pass = config.Expanded(s.line, "smtpd_service_name");
  for (const MasterCf::Service& t : config.master_cf.Services()) {
    if (t.name == pass && t.type == "pass" && CommandName(t.command) == "smtpd") return t.line;
  }
  return absl::InvalidArgumentError(absl::StrCat("postscreen hands clients to \"", pass,
                                                 "\" (smtpd_service_name), but no \"", pass,
                                                 " pass ... smtpd\" service is declared"));
}

// Column 1: "[host]:port", "host:port" or "port".
absl::StatusOr<std::pair<std::string, std::string>> SplitHostPort(const std::string& name) {
  if (!name.empty() && name.front() == '[') {
    size_t close = name.find(']');
    if (close == std::string::npos || close + 1 >= name.size() || name[close + 1] != ':') {
      return absl::InvalidArgumentError("an IPv6 address must be written [address]:port");
    }
    return std::make_pair(name.substr(0, close + 1), name.substr(close + 2));
  }
  if (size_t colon = name.rfind(':'); colon != std::string::npos) {
    return std::make_pair(name.substr(0, colon), name.substr(colon + 1));
  }
  return std::make_pair(std::string(), name);
}

// Where the service binds: its own host, else every inet_interfaces entry.
absl::StatusOr<std::vector<Bind>> ServiceBinds(const PostfixConfig& config, const std::string& host,
                                               const Protocols& protocols,
                                               const NameResolvers& resolvers) {
  std::vector<std::string> hosts = {host};
  if (host.empty()) hosts = SplitListWords(config.Expanded(0, "inet_interfaces"));
  if (hosts.empty()) hosts = {"all"};
  const std::string what = host.empty() ? "inet_interfaces" : "the host";
  std::vector<Bind> binds;
  for (const std::string& h : hosts) {
    absl::StatusOr<std::vector<Bind>> more = HostBinds(h, protocols, resolvers);
    if (!more.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(host.empty() ? "inet_interfaces: " : "", more.status().message()));
    }
    binds.insert(binds.end(), more->begin(), more->end());
  }
  if (binds.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " has no address of the enabled inet_protocols"));
  }
  return binds;
}

// The listeners of one inet smtpd/postscreen service; errors without the service's place.
absl::StatusOr<std::vector<PostfixListener>> ServiceListeners(const PostfixConfig& config,
                                                              const MasterCf::Service& s,
                                                              const Protocols& protocols,
                                                              const NameResolvers& resolvers) {
  const std::string command = CommandName(s.command);
  PostfixListener pl;
  pl.service_line = pl.rules_line = s.line;
  if (command == "postscreen") {
    absl::StatusOr<int> pass = PassServiceLine(config, s);
    if (!pass.ok()) return pass.status();
    pl.rules_line = *pass;
  }
  absl::StatusOr<std::pair<std::string, std::string>> host_port = SplitHostPort(s.name);
  if (!host_port.ok()) return host_port.status();
  const auto& [host, port] = *host_port;
  absl::StatusOr<uint16_t> number = ResolvePort(port, resolvers);
  if (!number.ok()) return number.status();
  absl::StatusOr<std::vector<Bind>> binds = ServiceBinds(config, host, protocols, resolvers);
  if (!binds.ok()) return binds.status();
  absl::StatusOr<ListenerRole> role = RoleOf(config, port, *number, pl.rules_line);
  if (!role.ok()) return role.status();
  pl.listener.role = *role;
  const std::string wrapper =
      absl::AsciiStrToLower(config.Expanded(s.line, "smtpd_tls_wrappermode"));
  pl.listener.tls = command == "smtpd" && (wrapper == "yes" || wrapper == "true")
                        ? ListenerTls::kImplicit
                        : ListenerTls::kPlain;
  pl.listener.service = command == "postscreen" ? port + " via postscreen" : port;
  pl.listener.declared_at = config.MasterWhere(s.line);
  std::vector<PostfixListener> out;
  for (const Bind& b : *binds) {
    PostfixListener l = pl;
    l.listener.endpoint = SmtpEndpoint{b.address, *number};
    l.listener.bind = b.declared;
    l.listener.loopback_only = b.loopback_only;
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<PostfixListener>> DeriveListeners(const PostfixConfig& config,
                                                             const NameResolvers& resolvers) {
  const Protocols protocols = ParseProtocols(config.Expanded(0, "inet_protocols"));
  std::vector<PostfixListener> out;
  for (const MasterCf::Service& s : config.master_cf.Services()) {
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat(config.MasterWhere(s.line), ": service \"", s.name, "\": ", why,
                       " — relayguard cannot tell where Postfix listens; nothing was changed"));
    };
    if (s.fields < 8) return bad(absl::StrCat(s.fields, " fields, master(5) needs 8"));
    const std::string command = CommandName(s.command);
    if (s.type != "inet" || (command != "smtpd" && command != "postscreen")) continue;
    absl::StatusOr<std::vector<PostfixListener>> more =
        ServiceListeners(config, s, protocols, resolvers);
    if (!more.ok()) return bad(more.status().message());
    out.insert(out.end(), more->begin(), more->end());
  }
  if (out.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no inet smtpd or postscreen service in ", config.master_cf_path));
  }
  return out;
}

}  // namespace relayguard::agent::postfix
