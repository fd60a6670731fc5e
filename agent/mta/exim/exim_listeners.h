// The SMTP listeners of an Exim daemon from its configuration (spec 14: "daemon_smtp_ports",
// "local_interfaces", "tls_on_connect_ports"): every address of local_interfaces (`:` list, or
// another separator after "<"; IPv6 colons doubled in a `:` list) on every port of
// daemon_smtp_ports, except that an `ADDRESS.PORT` (or `[ADDRESS]:PORT`) item listens on its own
// port only; no local_interfaces (or an empty one) means every interface, IPv4 and IPv6, probed
// on loopback. A port in tls_on_connect_ports is implicit TLS. Ports are numbers or service
// names (smtp, submission, smtps/ssmtp, or /etc/services). Pure: the caller reads the files.
#ifndef RELAYGUARD_AGENT_MTA_EXIM_EXIM_LISTENERS_H_
#define RELAYGUARD_AGENT_MTA_EXIM_EXIM_LISTENERS_H_

#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "agent/mta/exim/exim_config_text.h"
#include "agent/mta/listener.h"

namespace relayguard::agent::exim {

// TCP port of each service name (aliases too) of an /etc/services text.
std::map<std::string, int> ParseServices(absl::string_view etc_services);

struct EximListenerSource {
  const ConfigText* config = nullptr;    // the configuration the daemon runs
  std::set<std::string> builtin_macros;  // `exim -bP macros` names starting with '_'
  std::map<std::string, int> services;   // ParseServices of /etc/services
  // "PATH:LINE" a person edits for physical line `line` of `config` (Debian: the conf.d file or
  // update-exim4.conf.conf line the generated line came from); unset: config->Where(line).
  std::function<std::string(size_t line)> locate;
};

// Every listener, in the order of local_interfaces then daemon_smtp_ports, one per probed
// endpoint (the IPv4 and IPv6 wildcards on one port are one listener). Role kSubmission for
// ports 587 and 465 and implicit-TLS ports, kRelay otherwise; declared_at is the daemon_smtp_ports
// setting (the local_interfaces one for an ADDRESS.PORT item, or when daemon_smtp_ports is Exim's
// default), or the macro definition its value came from. InvalidArgument "PATH:LINE: ..." for a
// port or interface it cannot read (an expansion, a host name, an unknown service).
absl::StatusOr<std::vector<Listener>> DeriveEximListeners(const EximListenerSource& source);

// The port `name` stands for ("2525", "smtp", "submission", a name from `services`); 0 if none.
int ResolvePort(absl::string_view name, const std::map<std::string, int>& services);

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_EXIM_LISTENERS_H_
