// Postfix 3.7's lines (smtpd, cleanup, qmgr and the delivery agents), whatever the syslog_name
// prefix ("postfix", "postfix/submission", "postfix-out").
#include "absl/strings/match.h"
#include "agent/monitor/log_patterns.h"
#include "agent/monitor/mta_log_parser.h"

namespace relayguard::agent {
namespace {

// The delivery agents that deliver on this host; smtp, lmtp, discard, error... do not.
bool IsLocalTransport(absl::string_view program) {
  absl::string_view agent = program.substr(program.rfind('/') + 1);
  return agent == "local" || agent == "virtual";
}

}  // namespace

bool MtaLogParser::FeedPostfix(const LogLine& line, absl::string_view text,
                               std::vector<MonitorEvent>& out) {
  if (!absl::StartsWith(line.program, "postfix")) return false;
  const Patterns& p = *patterns_;
  absl::string_view msg = line.message;
  re2::StringPiece id, name, address, detail, rcpt, sender, rest, orig, status;

  if (absl::StrContains(msg, "Relay access denied") && absl::StrContains(msg, ": reject: RCPT")) {
    // "reject_warning:" does not match ": reject: ": the client was not refused.
    if (!RE2::PartialMatch(Piece(msg), p.postfix_refused, &id, &name, &address, &detail, &rcpt,
                           &sender)) {
      return false;
    }
    MonitorEvent event;
    event.kind = MonitorEventKind::kRefusedRelay;
    event.time_s = line.time_s;
    event.client_address = std::string(View(address));
    event.client_name = std::string(View(name));
    event.sender = std::string(View(sender));
    event.recipients.emplace_back(View(rcpt));
    if (View(id) != "NOQUEUE") event.queue_id = std::string(View(id));
    event.detail = std::string(View(detail));
    event.lines.emplace_back(text);
    Emit(std::move(event), out);
    return true;
  }
  if (absl::StartsWith(msg, "warning: ") && absl::StrContains(msg, "authentication failed")) {
    re2::StringPiece mechanism;
    if (!RE2::PartialMatch(Piece(msg), p.postfix_sasl, &name, &address, &mechanism)) return false;
    MonitorEvent event;
    event.kind = MonitorEventKind::kSaslFailure;
    event.time_s = line.time_s;
    event.client_address = std::string(View(address));
    event.client_name = std::string(View(name));
    event.detail = std::string(View(mechanism));
    event.lines.emplace_back(text);
    Emit(std::move(event), out);
    return true;
  }
  if (absl::StrContains(msg, ": client=")) {
    if (!RE2::PartialMatch(Piece(msg), p.postfix_client, &id, &name, &address, &rest)) return false;
    OpenMessage& message = open_.Open(View(id), line.time_s);
    message.client_address = std::string(View(address));
    message.client_name = std::string(View(name));
    message.authenticated = absl::StrContains(View(rest), "sasl_username=");
    message.trusted = IsTrusted(message.client_address);
    OpenMessages::AddLine(message.lines, text, 2);
    return true;
  }
  if (absl::StrContains(msg, ": from=<")) {
    if (!RE2::PartialMatch(Piece(msg), p.postfix_from, &id, &sender)) return false;
    // A message without a client= line came from this host (pickup): never a relay.
    OpenMessage* message = open_.Find(View(id), line.time_s);
    if (message == nullptr) return true;
    message->sender = std::string(View(sender));
    OpenMessages::AddLine(message->lines, text, 3);
    return true;
  }
  if (absl::StrContains(msg, ": to=<")) {
    if (!RE2::PartialMatch(Piece(msg), p.postfix_to, &id, &rcpt, &orig, &status)) return false;
    OpenMessage* message = open_.Find(View(id), line.time_s);
    if (message == nullptr || message->client_address.empty()) return true;
    // The recipient the client asked for decides: an alias of a local domain that forwards
    // elsewhere is not a relay.
    absl::string_view asked = orig.empty() ? View(rcpt) : View(orig);
    if (View(status) == "sent" && !message->trusted && !message->authenticated &&
        !IsLocalTransport(line.program) && !IsLocalDomain(asked)) {
      EmitRelayed(*message, line.time_s, View(rcpt), text, out);
    }
    return true;
  }
  if (absl::EndsWith(msg, ": removed")) {
    if (!RE2::FullMatch(Piece(msg), p.postfix_removed, &id)) return false;
    open_.Close(View(id));
    return true;
  }
  return false;
}

}  // namespace relayguard::agent
