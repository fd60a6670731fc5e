// Postfix master.cf, read only: relayguard never edits it, but it must know where smtpd listens
// and which `-o name=value` overrides beat main.cf (master(5): 8 columns, a line starting with
// whitespace continues the previous service, '#' lines and blank lines are ignored).
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_MASTER_CF_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_MASTER_CF_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relayguard::agent::postfix {

struct MasterService {
  std::string service;            // column 1, e.g. "smtp", "127.0.0.1:2525", "[::1]:25"
  std::string type;               // column 2: inet, unix, unix-dgram, fifo, pass
  std::string command;            // first word of column 8, e.g. "smtpd"
  std::vector<std::string> args;  // the remaining words of column 8 (continuations included)
  int line = 0;                   // 1-based line where the service starts
};

// Every complete service entry, in file order. Lines with fewer than 8 columns are skipped
// (postfix check reports them).
std::vector<MasterService> ParseMasterCf(std::string_view text);

struct SmtpdListener {
  std::string host;  // "" when column 1 has no host part ("smtp", "2525")
  std::string port;  // service name or number as written: "smtp", "2525"
};

// The first `inet` service whose command is smtpd, split into host and port
// ("127.0.0.1:2525" -> {"127.0.0.1","2525"}, "[::1]:25" -> {"::1","25"}, "smtp" -> {"","smtp"}).
std::optional<SmtpdListener> FindSmtpdListener(std::string_view master_cf_text);

// The `-o name=value` overrides of `service` ("-o name=value" and "-oname=value" forms); a
// value in braces `{ ... }` is unwrapped. Later overrides of the same name win.
std::map<std::string, std::string> SmtpdOverrides(const MasterService& service);

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_MASTER_CF_H_
