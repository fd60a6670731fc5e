#include "agent/probe/relay_tricks.h"

#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace relayguard::agent {
namespace {

// "[127.0.0.1]" or "[IPv6:::1]" (RFC 5321 section 4.1.3).
std::string AddressLiteral(const std::string& ip) {
  return ip.find(':') == std::string::npos ? absl::StrCat("[", ip, "]")
                                           : absl::StrCat("[IPv6:", ip, "]");
}

}  // namespace

absl::Status ValidateRelayTrickDomains(const RelayTrickDomains& domains) {
  const std::pair<const char*, const std::string*> fields[] = {
      {"target_host", &domains.target_host}, {"target_ip", &domains.target_ip},
      {"local_user", &domains.local_user},   {"sender_domain", &domains.sender_domain},
      {"victim_user", &domains.victim_user}, {"victim_domain", &domains.victim_domain},
  };
  for (const auto& [name, value] : fields) {
    if (value->empty()) {
      return absl::InvalidArgumentError(absl::StrCat("relay tricks: ", name, " is empty"));
    }
    if (value->find_first_of("\r\n \t<>\"@") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("relay tricks: ", name, " \"", absl::CEscape(*value),
                       "\" must not contain CR, LF, blanks, <, >, \" or @"));
    }
  }
  return absl::OkStatus();
}

std::vector<RelayTest> AllRelayTricks(const RelayTrickDomains& d) {
  const std::string host = d.target_host;
  const std::string literal = AddressLiteral(d.target_ip);
  const std::string victim = absl::StrCat(d.victim_user, "@", d.victim_domain);
  const std::string foreign_sender = absl::StrCat(d.local_user, "@", d.sender_domain);
  // Most of nmap's tricks claim to come from the server's own IP literal.
  const std::string literal_sender = absl::StrCat(d.local_user, "@", literal);

  const std::vector<RelayTest> candidates = {
      // nmap smtp-open-relay, in its order.
      // 01: bounce-style null sender to a foreign victim.
      {"nmap-01-null-sender", "", victim},
      // 02: foreign sender to foreign victim, the textbook open relay.
      {"nmap-02-plain-third-party", foreign_sender, victim},
      // 03: sender spoofed as a local user of the server's host name.
      {"nmap-03-spoofed-local-sender-host", absl::StrCat(d.local_user, "@", host), victim},
      // 04: sender spoofed as a local user of the server's IP literal.
      {"nmap-04-spoofed-local-sender-ip-literal", literal_sender, victim},
      // 05: percent hack, local domain given as the IP literal: victim%domain@[ip].
      {"nmap-05-percent-hack-ip-literal", literal_sender,
       absl::StrCat(d.victim_user, "%", d.victim_domain, "@", literal)},
      // 06: percent hack at the host name: victim%domain@host.
      {"nmap-06-percent-hack-host", literal_sender,
       absl::StrCat(d.victim_user, "%", d.victim_domain, "@", host)},
      // 07: the whole foreign address quoted as an unqualified local part: "victim@domain".
      {"nmap-07-quoted-address", literal_sender, absl::StrCat("\"", victim, "\"")},
      // 08: quoted percent-hack local part without a domain: "victim%domain".
      {"nmap-08-quoted-percent-hack", literal_sender,
       absl::StrCat("\"", d.victim_user, "%", d.victim_domain, "\"")},
      // 09: double @ ending in the IP literal: victim@domain@[ip].
      {"nmap-09-double-at-ip-literal", literal_sender, absl::StrCat(victim, "@", literal)},
      // 10: quoted foreign address as local part at the IP literal: "victim@domain"@[ip].
      {"nmap-10-quoted-local-part-ip-literal", literal_sender,
       absl::StrCat("\"", victim, "\"@", literal)},
      // 11: double @ ending in the host name: victim@domain@host.
      {"nmap-11-double-at-host", literal_sender, absl::StrCat(victim, "@", host)},
      // 12: RFC 821 source route through the IP literal: @[ip]:victim@domain.
      {"nmap-12-source-route-ip-literal", literal_sender, absl::StrCat("@", literal, ":", victim)},
      // 13: source route through the host name: @host:victim@domain.
      {"nmap-13-source-route-host", literal_sender, absl::StrCat("@", host, ":", victim)},
      // 14: UUCP bang path without a domain: domain!victim.
      {"nmap-14-bang-path", literal_sender, absl::StrCat(d.victim_domain, "!", d.victim_user)},
      // 15: bang path at the IP literal: domain!victim@[ip].
      {"nmap-15-bang-path-ip-literal", literal_sender,
       absl::StrCat(d.victim_domain, "!", d.victim_user, "@", literal)},
      // 16: bang path at the host name: domain!victim@host.
      {"nmap-16-bang-path-host", literal_sender,
       absl::StrCat(d.victim_domain, "!", d.victim_user, "@", host)},
      // Nessus plugin 11852 ("thorough test"): senders nmap does not try, all to the plain victim.
      // A made-up subdomain of the foreign sender domain (Nessus picks a random label; a fixed
      // one keeps the list pure and stable).
      {"nessus-random-subdomain-sender",
       absl::StrCat(d.local_user, "@relayguard-nx.", d.sender_domain), victim},
      // A sender at localhost, which many MTAs count as local.
      {"nessus-localhost-sender", absl::StrCat(d.local_user, "@localhost"), victim},
      // An unqualified sender: the MTA appends its own domain.
      {"nessus-unqualified-sender", d.local_user, victim},
      // The server's own postmaster, which some configurations whitelist.
      {"nessus-postmaster-sender", absl::StrCat("postmaster@", host), victim},
  };

  std::vector<RelayTest> tricks;
  std::set<std::pair<std::string, std::string>> seen;
  for (const RelayTest& t : candidates) {
    if (seen.insert({t.mail_from, t.rcpt_to}).second) tricks.push_back(t);
  }
  return tricks;
}

}  // namespace relayguard::agent
