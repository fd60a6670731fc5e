// Test support for the log monitor (issue 16): the lab MTAs logging to known files, the SMTP
// sessions whose log lines the monitor must see, and waiting for those lines.
//
// Where each lab MTA logs:
//   Postfix  PostfixLab::dir()/maillog (maillog_file; LogThroughSyslog() switches it to syslog)
//   Exim     EximLab::dir()/log/mainlog (log_file_path; EximLogFile())
//   Sendmail syslog only (tag sm-mta): a SyslogSink owning the sandbox's /dev/log writes the
//            lines to SyslogSink::log_file() in Debian 12 rsyslog's format
// Tests using this run inside tests/support/mta_sandbox.sh (SANDBOX in tests/CMakeLists.txt): its
// private /dev is where /dev/log can exist. One SyslogSink per test process.
//
// The untrusted client is 127.0.0.9 (resolves to untrusted.lab.test in the sandbox's /etc/hosts),
// the trusted one 127.0.0.1. Sessions: sender probe@example.org, recipient victim@example.net.
// What each MTA writes for each scenario: tests/data/monitor/README.md and the real-*.log there.
#ifndef RELAYGUARD_TESTS_SUPPORT_MONITOR_LAB_H_
#define RELAYGUARD_TESTS_SUPPORT_MONITOR_LAB_H_

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/mta_lab.h"
#include "tests/support/postfix_lab.h"

namespace relayguard::testing {

inline constexpr char kUntrustedClient[] = "127.0.0.9";
inline constexpr char kTrustedClient[] = "127.0.0.1";
inline constexpr char kProbeSender[] = "probe@example.org";
inline constexpr char kVictimRecipient[] = "victim@example.net";

// The built rg-syslog-sink (tests/support/syslog_sink.cc).
std::string SyslogSinkBinary();

// rg-syslog-sink on `socket_path` (default the sandbox's /dev/log), writing into a fresh temp dir:
// log_file() in RFC 3339 (Debian 12 rsyslog's default), traditional_log_file() in the old
// `Dec  5 10:00:01` format. The constructor waits until the socket exists (throws after 5 s);
// the destructor stops the sink (SIGTERM, the socket goes) and removes the dir.
class SyslogSink {
 public:
  explicit SyslogSink(const std::string& socket_path = "/dev/log");
  ~SyslogSink();
  SyslogSink(const SyslogSink&) = delete;
  SyslogSink& operator=(const SyslogSink&) = delete;

  std::string log_file() const { return dir_ + "/syslog"; }
  std::string traditional_log_file() const { return dir_ + "/syslog.traditional"; }
  const std::string& socket_path() const { return socket_path_; }
  bool Running() const;

 private:
  std::string socket_path_;
  std::string dir_;
  pid_t pid_ = -1;
};

// The lines appended to a log file since the watch began (the file may not exist yet; rotation is
// not followed: the lab never rotates).
class LogWatch {
 public:
  explicit LogWatch(std::string path);  // starts at the file's current end
  // Polls every 50 ms for up to `limit` for a new line containing every one of `needles`;
  // the first such line, or nullopt.
  std::optional<std::string> WaitForLine(const std::vector<std::string>& needles,
                                         std::chrono::milliseconds limit) const;
  // All complete lines appended since the watch began.
  std::vector<std::string> NewLines() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  size_t start_ = 0;
};

std::string EximLogFile(const MtaLab& exim);  // DIR/log/mainlog

// One SMTP session with swaks from `client` to 127.0.0.1:`port`. exit_code is swaks' (0: every
// step accepted; 24: no recipient accepted; 28: AUTH failed); transcript is its output.
struct SmtpSession {
  int exit_code = -1;
  std::string transcript;
};
// Stops after RCPT TO (a relay attempt: refused by a closed relay).
SmtpSession SendRelayAttempt(int port, const std::string& client = kUntrustedClient);
// A whole message with DATA (relayed, when the relay lets `client` relay).
SmtpSession SendMessage(int port, const std::string& client = kUntrustedClient);
// AUTH PLAIN as `user` with `password`, then the message (`then_message`) or QUIT. The password
// never appears in the transcript (swaks --auth-hide-password).
SmtpSession SendAuthenticated(int port, const std::string& user, const std::string& password,
                              bool then_message, const std::string& client = kUntrustedClient);

// Re-opening a closed lab relay "by hand", as an operator would, for `kUntrustedClient`; returns
// once the running daemon has the new policy, without an SMTP session (which would log a relay
// attempt of its own): throws when the change does not take.
//   Postfix: mynetworks = 0.0.0.0/0, postfix reload; waits for master's "reload" line in the
//            maillog (up to 5 s) and 1 s more for the old smtpd processes to go
//   Exim: relay_from_hosts = 0.0.0.0/0 in exim4.conf, SIGHUP; waits until the re-executed daemon
//         listens again, and 0.5 s
//   Sendmail: `Connect:127.0.0.9 RELAY` appended to the access map, makemap (read per session)
void OpenRelayByHand(PostfixLab& postfix);
void OpenRelayByHand(EximLab& exim);
void OpenRelayByHand(SendmailLab& sendmail);

// Postfix logs through syslog (maillog_file empty, Debian's default) instead of its maillog;
// before Start().
void LogThroughSyslog(PostfixLab& postfix);

// Sendmail as Debian runs it: DeliveryMode=background and, so that a relayed message is really
// delivered (`stat=Sent`), the smart host `smart_host`: a PostfixLab whose mynetworks holds
// 127.0.0.1 (its default_transport discards). Before either Start(): edits and rebuilds the .mc,
// and renames the Postfix (myhostname smarthost.lab.test): both lab instances are called "mx",
// and Sendmail refuses a peer greeting with its own name ("mail loops back to me").
void DeliverThroughSmartHost(SendmailLab& sendmail, PostfixLab& smart_host);

// SMTP AUTH for the lab instances, before Start() (the backends: tests/support/sasl_lab.h).
//   Postfix: smtpd_sasl_type = dovecot, smtpd_sasl_path = `dovecot_socket` (DovecotAuth with the
//            default Options: socket user postfix)
//   Exim: a `plaintext` PLAIN authenticator checking `password_file` (MakeEximPasswordFile), and
//         `accept authenticated = *` in the RCPT ACL
//   Sendmail: the private /etc/sasl2/Sendmail.conf with auxprop sasldb `sasldb` (MakeSasldb),
//             AuthMechanisms PLAIN LOGIN, TRUST_AUTH_MECH; rebuilds the .cf
void EnableSaslAuth(PostfixLab& postfix, const std::string& dovecot_socket);
void EnableSaslAuth(EximLab& exim, const std::string& password_file);
void EnableSaslAuth(SendmailLab& sendmail, const std::string& sasldb);

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_MONITOR_LAB_H_
