#include "agent/probe/relay_probe.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/probe/smtp_client.h"

namespace relayguard::agent {
namespace {

// Sends `command` (or only reads, for the greeting) and records the exchange.
absl::StatusOr<SmtpReply> Exchange(SmtpClient& client, const std::string& command,
                                   const ProbeOptions& options,
                                   std::vector<SmtpExchange>& exchanges) {
  SmtpExchange e;
  e.command = command;
  if (command != "(connect)") {
    if (absl::Status s = client.Send(command); !s.ok()) {
      e.reply = "(closed)";
      exchanges.push_back(e);
      client.Close();
      return s;
    }
  }
  absl::StatusOr<SmtpReply> reply = client.ReadReply(options.timeout);
  if (!reply.ok()) {
    e.reply = absl::IsDeadlineExceeded(reply.status()) ? "(timeout)" : "(closed)";
    exchanges.push_back(e);
    client.Close();
    return reply.status();
  }
  e.reply = reply->text;
  e.code = reply->code;
  exchanges.push_back(e);
  return reply;
}

// Classifies a reply that ends a test: 5xx refused, 4xx inconclusive.
void Judge(const SmtpReply& reply, const std::string& what, RelayTestResult& result) {
  std::string first_line = reply.text.substr(0, reply.text.find('\n'));
  if (reply.code >= 500) {
    result.verdict = ProbeVerdict::kRefused;
    result.detail = absl::StrCat(what, " refused with ", first_line);
  } else {
    result.verdict = ProbeVerdict::kInconclusive;
    result.detail = absl::StrCat(what, " answered ", first_line,
                                 reply.code >= 400 ? " (temporary: neither open nor closed)" : "");
  }
}

// Connects, reads the greeting and says EHLO (HELO if EHLO is refused). Returns false with the
// verdict and detail set on `result` when the session could not be opened.
bool OpenSession(SmtpClient& client, const SmtpEndpoint& endpoint, const ProbeOptions& options,
                 RelayTestResult& result) {
  if (absl::Status s = client.Connect(endpoint, options.source, options.timeout); !s.ok()) {
    result.exchanges.push_back({"(connect)", "(" + std::string(s.message()) + ")", 0});
    result.detail = std::string(s.message());
    return false;
  }
  absl::StatusOr<SmtpReply> greeting = Exchange(client, "(connect)", options, result.exchanges);
  if (!greeting.ok()) {
    result.detail = absl::StrCat("no greeting: ", greeting.status().message());
    return false;
  }
  if (greeting->code != 220) {
    Judge(*greeting, "the connection", result);
    client.Close();
    return false;
  }
  absl::StatusOr<SmtpReply> ehlo =
      Exchange(client, "EHLO " + options.helo_name, options, result.exchanges);
  if (ehlo.ok() && ehlo->code >= 500) {
    ehlo = Exchange(client, "HELO " + options.helo_name, options, result.exchanges);
  }
  if (!ehlo.ok()) {
    result.detail = absl::StrCat("EHLO: ", ehlo.status().message());
    return false;
  }
  if (ehlo->code != 250) {
    Judge(*ehlo, "EHLO/HELO", result);
    client.Close();
    return false;
  }
  return true;
}

void RunOne(SmtpClient& client, const SmtpEndpoint& endpoint, const ProbeOptions& options,
            RelayTestResult& result) {
  result.verdict = ProbeVerdict::kInconclusive;
  if (!client.connected() && !OpenSession(client, endpoint, options, result)) return;
  absl::StatusOr<SmtpReply> mail =
      Exchange(client, "MAIL FROM:<" + result.test.mail_from + ">", options, result.exchanges);
  if (!mail.ok()) {
    result.detail = absl::StrCat("MAIL FROM: ", mail.status().message());
    return;
  }
  if (mail->code != 250) {
    Judge(*mail, "MAIL FROM", result);
  } else {
    absl::StatusOr<SmtpReply> rcpt =
        Exchange(client, "RCPT TO:<" + result.test.rcpt_to + ">", options, result.exchanges);
    if (!rcpt.ok()) {
      result.detail = absl::StrCat("RCPT TO: ", rcpt.status().message());
      return;
    }
    if (rcpt->code == 250 || rcpt->code == 251) {
      result.verdict = ProbeVerdict::kRelayAccepted;
      result.detail = absl::StrCat("RCPT TO:<", result.test.rcpt_to, "> accepted with ",
                                   rcpt->text.substr(0, rcpt->text.find('\n')));
    } else {
      Judge(*rcpt, "RCPT TO", result);
    }
  }
  if (client.connected()) (void)Exchange(client, "RSET", options, result.exchanges);
}

}  // namespace

std::string SmtpEndpoint::ToString() const {
  return host.family == IpFamily::kV6 ? absl::StrCat("[", host.ToString(), "]:", port)
                                      : absl::StrCat(host.ToString(), ":", port);
}

absl::StatusOr<SmtpEndpoint> ParseSmtpEndpoint(const std::string& text) {
  std::string host, port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find("]:");
    if (close == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not [IPV6]:PORT"));
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", text, "\" is not HOST:PORT (IPv6 needs brackets: [::1]:25)"));
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  SmtpEndpoint endpoint;
  absl::StatusOr<IpAddress> ip = ParseIpAddress(host);
  if (!ip.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\": the host must be an IP address: ", ip.status().message()));
  }
  endpoint.host = *ip;
  int number = 0;
  if (!absl::SimpleAtoi(port, &number) || number < 1 || number > 65535 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\": port must be a number 1..65535"));
  }
  endpoint.port = static_cast<uint16_t>(number);
  return endpoint;
}

const char* ProbeVerdictName(ProbeVerdict v) {
  switch (v) {
    case ProbeVerdict::kRelayAccepted: return "relay-accepted";
    case ProbeVerdict::kRefused: return "refused";
    case ProbeVerdict::kInconclusive: return "inconclusive";
  }
  return "inconclusive";
}

std::vector<RelayTest> BasicRelayTests(const std::string& sender, const std::string& recipient) {
  return {{"plain-third-party", sender, recipient}, {"null-sender", "", recipient}};
}

ProbeReport RunRelayProbe(const SmtpEndpoint& endpoint, const std::vector<RelayTest>& tests,
                          const ProbeOptions& options) {
  ProbeReport report;
  report.endpoint = endpoint;
  report.source = options.source;
  SmtpClient client;
  bool any_accepted = false, all_refused = !tests.empty();
  for (const RelayTest& test : tests) {
    RelayTestResult result;
    result.test = test;
    RunOne(client, endpoint, options, result);
    any_accepted |= result.verdict == ProbeVerdict::kRelayAccepted;
    all_refused &= result.verdict == ProbeVerdict::kRefused;
    report.tests.push_back(std::move(result));
  }
  if (client.connected() && !report.tests.empty()) {
    (void)Exchange(client, "QUIT", options, report.tests.back().exchanges);
  }
  report.verdict = any_accepted  ? ProbeVerdict::kRelayAccepted
                   : all_refused ? ProbeVerdict::kRefused
                                 : ProbeVerdict::kInconclusive;
  return report;
}

absl::Status CheckSmtpGreeting(const SmtpEndpoint& endpoint, const ProbeOptions& options) {
  SmtpClient client;
  if (absl::Status s = client.Connect(endpoint, options.source, options.timeout); !s.ok()) {
    return s;
  }
  absl::StatusOr<SmtpReply> greeting = client.ReadReply(options.timeout);
  if (!greeting.ok()) {
    return absl::UnavailableError(absl::StrCat("no SMTP greeting from ", endpoint.ToString(), ": ",
                                               greeting.status().message()));
  }
  if (greeting->code != 220) {
    return absl::UnavailableError(absl::StrCat(endpoint.ToString(), " greeted with ",
                                               greeting->text.substr(0, greeting->text.find('\n'))));
  }
  (void)client.Send("QUIT");
  return absl::OkStatus();
}

}  // namespace relayguard::agent
