// Every known open-relay trick as a list of relay tests: the MAIL FROM / RCPT TO combinations of
// nmap's smtp-open-relay script and the extra senders of Nessus plugin 11852, built for one
// target. Pure: no sockets, no randomness.
#ifndef RELAYGUARD_AGENT_PROBE_RELAY_TRICKS_H_
#define RELAYGUARD_AGENT_PROBE_RELAY_TRICKS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agent/probe/relay_probe.h"

namespace relayguard::agent {

struct RelayTrickDomains {
  std::string target_host;                    // the server's own host name, e.g. "mx.lab.test"
  std::string target_ip;                      // the server's IP literal, e.g. "127.0.0.1"
  std::string local_user = "relaytest";       // local part used for spoofed local senders
  std::string sender_domain = "example.org";  // foreign sender domain
  std::string victim_user = "relay-test";     // local part of the foreign victim
  std::string victim_domain = "example.net";  // foreign recipient domain
};

// OK when every field is non-empty and free of CR, LF, spaces, tabs, '<', '>', '"' and '@' (so
// that the tricks built from them are exactly the intended address forms); InvalidArgument
// naming the field otherwise.
absl::Status ValidateRelayTrickDomains(const RelayTrickDomains& domains);

// Every known relay trick, each a RelayTest with a stable name ("nmap-01-null-sender" ..
// "nmap-16-bang-path-host", then "nessus-..."), in that order, identical (mail_from, rcpt_to)
// pairs dropped (the first name is kept). The first two are BasicRelayTests(
// local_user@sender_domain, victim_user@victim_domain). The addresses are only sent in RCPT TO
// to the server under test, which never gets DATA: nothing is delivered. An IPv6 target_ip
// becomes the literal "[IPv6:...]". Call ValidateRelayTrickDomains first on user input.
std::vector<RelayTest> AllRelayTricks(const RelayTrickDomains& domains);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_PROBE_RELAY_TRICKS_H_
