#include "agent/mta/exim/exim_listeners.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "agent/mta/exim/exim_list.h"
#include "agent/mta/exim/exim_main_options.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/cidr.h"
#include "common/status_macros.h"

namespace relayguard::agent::exim {
namespace {

// Exim's own fallbacks when /etc/services does not name them.
const std::map<std::string, int, std::less<>> kKnownServices = {
    {"smtp", 25}, {"submission", 587}, {"smtps", 465}, {"ssmtp", 465}, {"submissions", 465}};

struct Port {
  int number = 0;
  std::string name;  // as written: "smtp", "2525"
};

struct Interface {
  IpAddress address;
  std::string bind;          // as written, without the port
  std::optional<Port> port;  // ADDRESS.PORT
  bool wildcard = false;
};

// One setting and where a person changes it.
struct Declared {
  std::string value;
  std::string where;
};

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(c); });
}

absl::StatusOr<std::vector<Port>> ReadPorts(const Declared& d, absl::string_view option,
                                            const std::map<std::string, int>& services) {
  std::vector<Port> ports;
  for (const std::string& item : ParseEximList(d.value)) {
    int n = ResolvePort(item, services);
    if (n == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(d.where, ": ", option, " item \"", item,
              "\" is neither a port number (1-65535) nor a service name /etc/services knows; "
              "relayguard cannot tell where Exim listens (give --smtp HOST:PORT for a listener "
              "it should probe)"));
    }
    ports.push_back({n, item});
  }
  return ports;
}

// Exim's host_address_extract_port: "[addr]:port", "[addr].port", or "addr.port" when what
// precedes the last dot is an address by itself.
absl::StatusOr<Interface> ReadInterface(const Declared& d, absl::string_view item,
                                        const std::map<std::string, int>& services) {
  auto refuse = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(d.where, ": local_interfaces item \"", item, "\" ", why,
                                          "; relayguard cannot tell where Exim listens"));
  };
  absl::string_view addr = item;
  absl::string_view port;
  if (absl::ConsumePrefix(&addr, "[")) {
    size_t close = addr.find(']');
    if (close == absl::string_view::npos) return refuse("has no closing ']'");
    port = addr.substr(close + 1);
    addr = addr.substr(0, close);
    if (!port.empty() && !absl::ConsumePrefix(&port, ":") && !absl::ConsumePrefix(&port, ".")) {
      return refuse("has text after ']'");
    }
  } else if (size_t dot = addr.rfind('.'); dot != absl::string_view::npos &&
                                           AllDigits(addr.substr(dot + 1)) &&
                                           ParseIpAddress(addr.substr(0, dot)).ok()) {
    port = addr.substr(dot + 1);
    addr = addr.substr(0, dot);
  }
  absl::StatusOr<IpAddress> ip = ParseIpAddress(addr);
  if (!ip.ok()) return refuse("is not an IP address (Exim listens on addresses only)");
  Interface i{*ip, std::string(addr), std::nullopt, false};
  i.wildcard = std::all_of(ip->bytes.begin(), ip->bytes.end(), [](uint8_t b) { return b == 0; });
  if (!port.empty()) {
    int n = ResolvePort(port, services);
    if (n == 0) return refuse("has a port that is not a number (1-65535)");
    i.port = Port{n, std::string(port)};
  }
  return i;
}

std::optional<Declared> Setting(const std::map<std::string, MainOptionSetting>& options,
                                std::initializer_list<const char*> names,
                                const EximListenerSource& source) {
  const MainOptionSetting* last = nullptr;
  for (const char* name : names) {
    auto it = options.find(name);
    if (it != options.end() && (last == nullptr || it->second.line > last->line)) {
      last = &it->second;
    }
  }
  if (last == nullptr) return std::nullopt;
  size_t origin = last->macro_line.value_or(last->line);
  return Declared{last->value,
                  source.locate ? source.locate(origin) : source.config->Where(origin)};
}

// Adds (or merges into the listener already on that endpoint) one address and port.
void AddListener(const Interface& i, const Port& port, const std::set<int>& tls_ports,
                 const std::string& where, std::vector<Listener>& out) {
  SmtpEndpoint endpoint;
  endpoint.host = i.wildcard ? *ParseIpAddress("127.0.0.1") : i.address;
  endpoint.port = static_cast<uint16_t>(port.number);
  for (Listener& l : out) {
    if (!(l.endpoint == endpoint)) continue;
    if (!absl::StrContains(l.bind, i.bind)) l.bind = absl::StrCat(l.bind, " and ", i.bind);
    l.loopback_only = l.loopback_only && !i.wildcard && IsLoopback(i.address);
    return;
  }
  Listener l;
  l.endpoint = endpoint;
  l.bind = i.bind;
  l.loopback_only = !i.wildcard && IsLoopback(i.address);
  l.tls = tls_ports.count(port.number) > 0 ? ListenerTls::kImplicit : ListenerTls::kPlain;
  bool submission = port.number == 587 || port.number == 465 || l.tls == ListenerTls::kImplicit;
  l.role = submission ? ListenerRole::kSubmission : ListenerRole::kRelay;
  l.service = port.name;
  l.declared_at = where;
  out.push_back(std::move(l));
}

}  // namespace

std::map<std::string, int> ParseServices(absl::string_view etc_services) {
  std::map<std::string, int> out;
  for (absl::string_view line : absl::StrSplit(etc_services, '\n')) {
    line = line.substr(0, line.find('#'));
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (words.size() < 2) continue;
    std::vector<absl::string_view> port_proto = absl::StrSplit(words[1], '/');
    int port = 0;
    if (port_proto.size() != 2 || port_proto[1] != "tcp" ||
        !absl::SimpleAtoi(port_proto[0], &port)) {
      continue;
    }
    for (size_t w = 0; w < words.size(); ++w) {
      if (w != 1) out.emplace(std::string(words[w]), port);
    }
  }
  return out;
}

int ResolvePort(absl::string_view name, const std::map<std::string, int>& services) {
  name = absl::StripAsciiWhitespace(name);
  int n = 0;
  if (AllDigits(name)) {
    return absl::SimpleAtoi(name, &n) && n >= 1 && n <= 65535 ? n : 0;
  }
  if (auto it = services.find(std::string(name)); it != services.end()) return it->second;
  if (auto it = kKnownServices.find(name); it != kKnownServices.end()) return it->second;
  return 0;
}

absl::StatusOr<std::vector<Listener>> DeriveEximListeners(const EximListenerSource& source) {
  const ConfigText& text = *source.config;
  ASSIGN_OR_RETURN(auto options, ReadMainOptions(text, source.builtin_macros));
  std::optional<Declared> ports_set =
      Setting(options, {"daemon_smtp_ports", "daemon_smtp_port"}, source);
  std::optional<Declared> interfaces_set = Setting(options, {"local_interfaces"}, source);
  std::optional<Declared> tls_set = Setting(options, {"tls_on_connect_ports"}, source);
  for (const std::optional<Declared>* d : {&ports_set, &interfaces_set, &tls_set}) {
    if (*d && absl::StrContains((*d)->value, "$")) {
      return absl::InvalidArgumentError(
          absl::StrCat((*d)->where, ": \"", (*d)->value,
              "\" is an expansion; relayguard cannot tell where Exim listens"));
    }
  }
  Declared ports_decl = ports_set.value_or(
      Declared{"smtp", interfaces_set ? interfaces_set->where
                                      : absl::StrCat(text.path(), " (Exim's default port smtp)")});
  ASSIGN_OR_RETURN(std::vector<Port> ports,
                   ReadPorts(ports_decl, "daemon_smtp_ports", source.services));
  std::set<int> tls_ports;
  if (tls_set) {
    ASSIGN_OR_RETURN(std::vector<Port> tls,
                     ReadPorts(*tls_set, "tls_on_connect_ports", source.services));
    for (const Port& p : tls) tls_ports.insert(p.number);
  }
  std::vector<std::string> items;
  if (interfaces_set) items = ParseEximList(interfaces_set->value);
  const Declared interfaces_decl = interfaces_set.value_or(Declared{"", ports_decl.where});
  if (items.empty()) items = {"0.0.0.0", "::"};  // unset or empty: every interface
  std::vector<Listener> listeners;
  for (const std::string& item : items) {
    ASSIGN_OR_RETURN(Interface i, ReadInterface(interfaces_decl, item, source.services));
    if (i.port) {
      AddListener(i, *i.port, tls_ports, interfaces_decl.where, listeners);
      continue;
    }
    for (const Port& p : ports) AddListener(i, p, tls_ports, ports_decl.where, listeners);
  }
  if (listeners.empty()) {
    return absl::NotFoundError(
        absl::StrCat(ports_decl.where, ": Exim declares no listener (daemon_smtp_ports is empty)"));
  }
  return listeners;
}

}  // namespace relayguard::agent::exim
