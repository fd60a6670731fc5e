// Exim 4.96's mainlog lines (its own file or syslog), Debian's packaged configuration and
// monolithic ones alike.
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "agent/monitor/log_patterns.h"
#include "agent/monitor/mta_log_parser.h"

namespace relayguard::agent {
namespace {

// ASCII case-insensitive substring test.
bool ContainsNoCase(absl::string_view text, absl::string_view needle) {
  return absl::StrContains(absl::AsciiStrToLower(text), needle);
}

// The refusal texts of relay ACLs: Exim's default and Debian's templates ("relay not
// permitted"), and the common hand-written ones.
bool IsRelayRefusal(absl::string_view reply) {
  return ContainsNoCase(reply, "relay not permitted") || ContainsNoCase(reply, "relaying denied") ||
         ContainsNoCase(reply, "relay access denied") ||
         ContainsNoCase(reply, "relaying not permitted");
}

// What H= names: "name", "(helo)" or "name (helo)": the name, "unknown" without one.
std::string HostName(absl::string_view h) {
  if (h.empty() || h[0] == '(') return "unknown";
  return std::string(h.substr(0, h.find(' ')));
}

// Transports that deliver on this host (Debian's names and the usual ones); anything else
// (remote_smtp, remote_smtp_smarthost, a :blackhole: redirect) counts as relaying.
bool IsLocalTransport(absl::string_view transport) {
  for (absl::string_view word :
       {"local", "spool", "maildir", "mailbox", "pipe", "file", "reply", "procmail", "lmtp"}) {
    if (absl::StrContains(transport, word)) return true;
  }
  return false;
}

}  // namespace

bool MtaLogParser::FeedExim(const LogLine& line, absl::string_view text,
                            std::vector<MonitorEvent>& out) {
  if (line.program != "exim" && line.program != "exim4") return false;
  const Patterns& p = *patterns_;
  absl::string_view msg = line.message;
  re2::StringPiece id, host, address, sender, rcpt, detail, rest;

  if (absl::StrContains(msg, " rejected RCPT <")) {
    if (!RE2::PartialMatch(Piece(msg), p.exim_refused, &host, &address, &sender, &rcpt, &detail) ||
        !IsRelayRefusal(View(detail))) {
      return false;
    }
    MonitorEvent event;
    event.kind = MonitorEventKind::kRefusedRelay;
    event.time_s = line.time_s;
    event.client_address = std::string(View(address));
    event.client_name = HostName(View(host));
    event.sender = std::string(View(sender));
    event.recipients.emplace_back(View(rcpt));
    event.detail = std::string(View(detail));
    event.lines.emplace_back(text);
    Emit(std::move(event), out);
    return true;
  }
  if (absl::StrContains(msg, " authenticator failed for ")) {
    re2::StringPiece authenticator;
    if (!RE2::PartialMatch(Piece(msg), p.exim_sasl, &authenticator, &host, &address, &detail)) {
      return false;
    }
    MonitorEvent event;
    event.kind = MonitorEventKind::kSaslFailure;
    event.time_s = line.time_s;
    event.client_address = std::string(View(address));
    event.client_name = HostName(View(host));
    event.detail = std::string(View(authenticator));
    event.lines.emplace_back(text);
    Emit(std::move(event), out);
    return true;
  }
  if (absl::StrContains(msg, " <= ")) {
    if (!RE2::FullMatch(Piece(msg), p.exim_arrival, &id, &sender, &rest)) return false;
    absl::string_view fields = View(rest);
    // A subject (log_selector +subject) is quoted at the end and may hold anything.
    if (size_t subject = fields.find(" T=\""); subject != absl::string_view::npos) {
      fields = fields.substr(0, subject);
    }
    // No H=: submitted on this host (U=user P=local), never a relay.
    if (!RE2::PartialMatch(Piece(fields), p.exim_host, &host, &address)) return true;
    OpenMessage& message = open_.Open(View(id), line.time_s);
    message.client_address = std::string(View(address));
    message.client_name = HostName(View(host));
    message.sender = View(sender) == "<>" ? "" : std::string(View(sender));
    message.authenticated = RE2::PartialMatch(Piece(fields), p.exim_auth);
    message.trusted = IsTrusted(message.client_address);
    OpenMessages::AddLine(message.lines, text, 3);
    return true;
  }
  if (absl::StrContains(msg, "=> ") || absl::StrContains(msg, "-> ")) {
    re2::StringPiece arrow, target, original;
    if (!RE2::FullMatch(Piece(msg), p.exim_delivery, &id, &arrow, &target, &original, &rest)) {
      return false;
    }
    OpenMessage* message = open_.Find(View(id), line.time_s);
    if (message == nullptr || message->client_address.empty()) return true;
    // "=> :blackhole: <victim@example.net>" and rewritten addresses log the recipient the
    // client asked for in <>: that one decides.
    absl::string_view asked = original.empty() ? View(target) : View(original);
    re2::StringPiece transport;
    RE2::PartialMatch(Piece(View(rest)), p.exim_transport, &transport);
    if (!message->trusted && !message->authenticated && !IsLocalDomain(asked) &&
        !IsLocalTransport(View(transport))) {
      EmitRelayed(*message, line.time_s, asked, text, out);
    }
    return true;
  }
  if (absl::StrContains(msg, " Completed")) {
    if (!RE2::PartialMatch(Piece(msg), p.exim_completed, &id)) return false;
    open_.Close(View(id));
    return true;
  }
  return false;
}

}  // namespace relayguard::agent
