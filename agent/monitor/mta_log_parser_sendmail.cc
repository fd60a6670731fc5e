// Sendmail 8.17's lines (Debian's sm-mta): check_rcpt refusals, from=/to= pairs by queue id,
// AUTH failures.
//
// Authentication: an authenticated session's from= line says proto=ESMTPA (ESMTPSA with TLS):
// Sendmail appends "A" to the protocol once AUTH succeeded. The separate "AUTH=server, relay=...,
// authid=..." line is logged only at LogLevel > 9 and carries no queue id, so it is not used.
// Queue-only delivery: "to=... stat=queued" (DeliveryMode=queue, or a deferred first attempt
// logged as queued) counts as relayed: the MTA accepted the message for a foreign recipient
// from an untrusted client, and sends it at the next queue run. A later stat=Sent for the same
// recipient is not counted again while the message is open.
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "agent/monitor/log_patterns.h"
#include "agent/monitor/mta_log_parser.h"

namespace relayguard::agent {
namespace {

// Mailers that deliver on this host.
bool IsLocalMailer(absl::string_view mailer) {
  return mailer == "local" || mailer == "prog" || mailer == "*file*" || mailer == "*include*" ||
         mailer == "cyrusv2" || mailer == "procmail";
}

absl::string_view StripAngles(absl::string_view address) {
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>') {
    return address.substr(1, address.size() - 2);
  }
  return address;
}

}  // namespace

bool MtaLogParser::FeedSendmail(const LogLine& line, absl::string_view text,
                                std::vector<MonitorEvent>& out) {
  if (line.program != "sm-mta" && line.program != "sendmail") return false;
  const Patterns& p = *patterns_;
  absl::string_view msg = line.message;
  re2::StringPiece id, rcpt, relay, detail, name, address, sender, rest;

  if (absl::StrContains(msg, "ruleset=check_rcpt") && absl::StrContains(msg, "elaying")) {
    if (!RE2::PartialMatch(Piece(msg), p.sendmail_refused, &id, &rcpt, &relay, &detail) ||
        !RE2::PartialMatch(Piece(View(relay)), p.host_address, &name, &address)) {
      return false;
    }
    MonitorEvent event;
    event.kind = MonitorEventKind::kRefusedRelay;
    event.time_s = line.time_s;
    event.client_address = std::string(View(address));
    event.client_name = name.empty() ? "unknown" : std::string(View(name));
    event.recipients.emplace_back(View(rcpt));
    event.queue_id = std::string(View(id));
    event.detail = std::string(View(detail));
    event.lines.emplace_back(text);
    // The sender is on the session's earlier from= line, when the MTA logged one.
    if (OpenMessage* message =
            event.queue_id.empty() ? nullptr : open_.Find(event.queue_id, line.time_s)) {
      event.sender = message->sender;
    }
    Emit(std::move(event), out);
    return true;
  }
  if (absl::StrContains(msg, "AUTH failure (")) {
    re2::StringPiece mechanism;
    if (!RE2::PartialMatch(Piece(msg), p.sendmail_sasl, &mechanism, &relay) ||
        !RE2::PartialMatch(Piece(View(relay)), p.host_address, &name, &address)) {
      return false;
    }
    MonitorEvent event;
    event.kind = MonitorEventKind::kSaslFailure;
    event.time_s = line.time_s;
    event.client_address = std::string(View(address));
    event.client_name = name.empty() ? "unknown" : std::string(View(name));
    event.detail = std::string(View(mechanism));
    event.lines.emplace_back(text);
    Emit(std::move(event), out);
    return true;
  }
  if (absl::StrContains(msg, ": from=")) {
    if (!RE2::PartialMatch(Piece(msg), p.sendmail_from, &id, &sender, &relay)) return false;
    // relay=root@localhost (a local submission) has no [address]: never a relay.
    if (!RE2::PartialMatch(Piece(View(relay)), p.host_address, &name, &address)) return true;
    OpenMessage& message = open_.Open(View(id), line.time_s);
    message.client_address = std::string(View(address));
    message.client_name = name.empty() ? "unknown" : std::string(View(name));
    message.sender = std::string(View(sender));
    re2::StringPiece proto;
    message.authenticated =
        RE2::PartialMatch(Piece(msg), p.sendmail_proto, &proto) && absl::EndsWith(View(proto), "A");
    message.trusted = IsTrusted(message.client_address);
    OpenMessages::AddLine(message.lines, text, 3);
    return true;
  }
  if (absl::StrContains(msg, ": to=")) {
    re2::StringPiece mailer, status;
    if (!RE2::PartialMatch(Piece(msg), p.sendmail_to, &id, &rcpt, &mailer, &status)) return false;
    OpenMessage* message = open_.Find(View(id), line.time_s);
    if (message == nullptr || message->trusted || message->authenticated ||
        IsLocalMailer(View(mailer)) || (View(status) != "Sent" && View(status) != "queued")) {
      return true;
    }
    for (absl::string_view recipient : absl::StrSplit(View(rcpt), ',', absl::SkipEmpty())) {
      recipient = StripAngles(recipient);
      if (!IsLocalDomain(recipient)) EmitRelayed(*message, line.time_s, recipient, text, out);
    }
    return true;
  }
  return false;
}

}  // namespace relayguard::agent
