// The SMTP listeners of a Sendmail configuration (agent/mta/listener.h): one per daemon of the
// built sendmail.cf the daemon runs (daemon_options.h), declared where the matching
// DAEMON_OPTIONS(...) line of sendmail.mc is, else at the .cf line.
//  - Port= a number, or a service name looked up like getservbyname (/etc/services); absent:
//    smtp (25). Addr= an address of the daemon's Family= (inet, the default, or inet6), or a host
//    name resolved in that family; absent, 0.0.0.0 or :: = every interface, probed on loopback
//    (127.0.0.1; an inet6 wildcard too, since Linux's [::] socket also takes IPv4, unless an
//    inet daemon has the same port: then [::1]). Family=unix/local daemons are not TCP: skipped.
//  - M=s: SMTP over TLS from the first byte (ListenerTls::kImplicit; needs STARTTLS compiled in).
//  - M=a: every client must authenticate before MAIL (530 5.7.0; needs SASL compiled in):
//    nobody relays there unauthenticated, so the access map's grants do not open it.
//  - Role kSubmission for M=a, ports 587 and 465, and names starting with MSA or MSP; kRelay
//    otherwise (the trusted networks relay there and it is smoke-tested).
// A cf without any DaemonPortOptions gets sendmail's default daemon: port 25, every interface.
#ifndef RELAYGUARD_AGENT_MTA_SENDMAIL_SENDMAIL_LISTENERS_H_
#define RELAYGUARD_AGENT_MTA_SENDMAIL_SENDMAIL_LISTENERS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "agent/mta/listener.h"
#include "agent/mta/sendmail/daemon_options.h"

namespace relayguard::agent::sendmail {

struct SendmailLookups {
  // The TCP port of a service name, nullopt when unknown.
  std::function<std::optional<uint16_t>(absl::string_view service)> service_port;
  // What a host name in Addr= resolves to in `family`, nullopt when it does not.
  std::function<std::optional<IpAddress>(absl::string_view host, IpFamily family)> resolve_host;
  bool sasl = true;      // sendmail was built with SASL (M=a takes effect)
  bool starttls = true;  // sendmail was built with STARTTLS (M=s takes effect)
};

struct SendmailListener {
  Listener listener;
  DaemonPortOptions daemon;
  bool auth_required = false;      // M=a in effect: MAIL needs AUTH first, from every client
  std::vector<std::string> notes;  // what the operator should know about this daemon
};

// The listeners of `cf` (the authority) with their declarations in `mc`. InvalidArgument
// "CF:LINE: ..." for a daemon whose address or port cannot be told (an unknown service, a host
// name that does not resolve, a family that is not inet or inet6): never a shorter list.
absl::StatusOr<std::vector<SendmailListener>> SendmailListeners(absl::string_view cf,
                                                                absl::string_view cf_path,
                                                                absl::string_view mc,
                                                                absl::string_view mc_path,
                                                                const SendmailLookups& lookups);

// The TCP ports of /etc/services by service name and alias ("smtps" -> 465).
std::map<std::string, uint16_t> TcpServicePorts(absl::string_view etc_services);

}  // namespace relayguard::agent::sendmail

#endif  // RELAYGUARD_AGENT_MTA_SENDMAIL_SENDMAIL_LISTENERS_H_
