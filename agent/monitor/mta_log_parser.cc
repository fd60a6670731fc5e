#include "agent/monitor/mta_log_parser.h"

#include <ctime>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/monitor/log_patterns.h"

namespace relayguard::agent {

absl::StatusOr<LogMta> ParseLogMta(absl::string_view name) {
  if (name == "postfix") return LogMta::kPostfix;
  if (name == "exim") return LogMta::kExim;
  if (name == "sendmail") return LogMta::kSendmail;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown MTA \"", name, "\" for the log monitor: expected postfix, exim or sendmail"));
}

MtaLogParser::MtaLogParser(LogMta mta, RelayContext context, Clock& clock)
    : mta_(mta),
      splitter_(clock),
      patterns_(std::make_unique<Patterns>()),
      open_(kMaxOpenMessages, kOpenMessageExpiryS) {
  SetContext(std::move(context));
}

MtaLogParser::~MtaLogParser() = default;

absl::StatusOr<std::unique_ptr<MtaLogParser>> MtaLogParser::Create(absl::string_view mta,
                                                                   RelayContext context,
                                                                   Clock& clock) {
  absl::StatusOr<LogMta> kind = ParseLogMta(mta);
  if (!kind.ok()) return kind.status();
  return std::make_unique<MtaLogParser>(*kind, std::move(context), clock);
}

void MtaLogParser::SetContext(RelayContext context) {
  context_ = std::move(context);
  for (std::string& domain : context_.local_domains) domain = absl::AsciiStrToLower(domain);
}

void MtaLogParser::Feed(const LogEntry& entry, std::vector<MonitorEvent>& out) {
  ++counters_.lines;
  LogLine line;
  // A line of kMaxLogLine bytes was cut by the follower: what is left is not the whole line.
  if (entry.text.size() >= kMaxLogLine || !splitter_.Split(entry, line)) {
    ++counters_.malformed;
    return;
  }
  bool used = false;
  switch (mta_) {
    case LogMta::kPostfix:
      used = FeedPostfix(line, entry.text, out);
      break;
    case LogMta::kExim:
      used = FeedExim(line, entry.text, out);
      break;
    case LogMta::kSendmail:
      used = FeedSendmail(line, entry.text, out);
      break;
  }
  if (!used) ++counters_.unknown;
}

bool MtaLogParser::IsTrusted(absl::string_view address) const {
  absl::StatusOr<IpAddress> ip = ParseIpAddress(address);
  if (!ip.ok()) return false;  // "unknown": nothing proves it trusted
  for (const Cidr& cidr : context_.trusted) {
    if (cidr.Contains(*ip)) return true;
  }
  return false;
}

bool MtaLogParser::IsLocalDomain(absl::string_view address) const {
  size_t at = address.rfind('@');
  // A bare local part ("postmaster") is delivered here.
  if (at == absl::string_view::npos) return true;
  std::string domain = absl::AsciiStrToLower(address.substr(at + 1));
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  for (const std::string& local : context_.local_domains) {
    if (domain == local) return true;
  }
  return false;
}

void MtaLogParser::EmitRelayed(OpenMessage& message, int64_t time_s, absl::string_view recipient,
                               absl::string_view text, std::vector<MonitorEvent>& out) {
  for (const std::string& done : message.reported) {
    if (done == recipient) return;  // Sendmail: "stat=queued", later "stat=Sent"
  }
  if (message.reported.size() < OpenMessages::kMaxReportedPerMessage) {
    message.reported.emplace_back(recipient);
  }
  MonitorEvent event;
  event.kind = MonitorEventKind::kRelayed;
  event.time_s = time_s;
  event.client_address = message.client_address;
  event.client_name = message.client_name;
  event.sender = message.sender;
  event.recipients.emplace_back(recipient);
  event.queue_id = message.queue_id;
  event.lines = message.lines;
  OpenMessages::AddLine(event.lines, text, 4);
  Emit(std::move(event), out);
}

void MtaLogParser::Emit(MonitorEvent event, std::vector<MonitorEvent>& out) {
  switch (event.kind) {
    case MonitorEventKind::kRefusedRelay:
      ++counters_.refused;
      break;
    case MonitorEventKind::kRelayed:
      ++counters_.relayed;
      break;
    case MonitorEventKind::kSaslFailure:
      ++counters_.sasl_failures;
      break;
  }
  for (std::string& line : event.lines) {
    if (line.size() > OpenMessages::kMaxLineBytes) line.resize(OpenMessages::kMaxLineBytes);
  }
  out.push_back(std::move(event));
}

std::string EventText(const MonitorEvent& event) {
  const char* kind = event.kind == MonitorEventKind::kRefusedRelay ? "refused"
                     : event.kind == MonitorEventKind::kRelayed    ? "relayed"
                                                                   : "sasl-failure";
  std::time_t t = static_cast<std::time_t>(event.time_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  auto or_dash = [](absl::string_view s) { return s.empty() ? std::string("-") : std::string(s); };
  return absl::StrCat(kind, " ", when, " client=", or_dash(event.client_address),
                      " name=", or_dash(event.client_name), " from=", or_dash(event.sender),
                      " rcpt=", or_dash(absl::StrJoin(event.recipients, ",")),
                      " qid=", or_dash(event.queue_id), " detail=", or_dash(event.detail));
}

}  // namespace relayguard::agent
