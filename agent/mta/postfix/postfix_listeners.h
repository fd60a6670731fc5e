// Postfix's SMTP listeners from master.cf (agent/mta/listener.h): every `inet` service whose
// command is smtpd, or postscreen (which counts as the listener; the relay rules are those of
// the `pass` smtpd service it hands clients to, smtpd_service_name). Column 1 is
// "[host:]port": a host is an address, [IPv6] or a name; without one, smtpd listens on every
// address of inet_interfaces (all, loopback-only, or a list) of the enabled inet_protocols.
// Ports are numbers or service names (smtp 25, submission 587, smtps/submissions 465, others
// from /etc/services). `-o smtpd_tls_wrappermode=yes` means TLS on connect.
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_POSTFIX_LISTENERS_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_POSTFIX_LISTENERS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/mta/listener.h"
#include "agent/mta/postfix/postfix_config.h"
#include "common/cidr.h"

namespace relayguard::agent::postfix {

struct PostfixListener {
  Listener listener;
  int service_line = 0;  // the inet service in master.cf
  int rules_line = 0;    // the smtpd service whose settings apply (the pass service of postscreen)
};

// How names become numbers; injected so derivation stays pure.
struct NameResolvers {
  // A TCP service name ("imap2") to its port, nullopt when unknown.
  std::function<std::optional<uint16_t>(const std::string&)> port;
  // A host name to its addresses; an error when it does not resolve.
  std::function<absl::StatusOr<std::vector<IpAddress>>(const std::string&)> host;
};

// getservbyname(3) and getaddrinfo(3).
NameResolvers SystemResolvers();

// The services whose settings matter to listeners: every inet smtpd/postscreen service and
// every pass smtpd service, in file order (the driver expands their parameters).
std::vector<const MasterCf::Service*> SmtpdServices(const MasterCf& master_cf);

// Every listener `config` declares, in master.cf order. InvalidArgument "master.cf:LINE: ..."
// for a declaration relayguard cannot read (a short line, an unknown port name, a host that
// does not resolve, postscreen without its pass service); NotFound when there is none.
absl::StatusOr<std::vector<PostfixListener>> DeriveListeners(const PostfixConfig& config,
                                                             const NameResolvers& resolvers);

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_POSTFIX_LISTENERS_H_
