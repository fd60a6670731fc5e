// Test support: what integration tests ask of a lab MTA after relayguard worked on it. The real
// relay probe from a source address, the reply it got to RCPT, and the agent's backup history.
#ifndef RELAYGUARD_TESTS_SUPPORT_RELAY_CHECKS_H_
#define RELAYGUARD_TESTS_SUPPORT_RELAY_CHECKS_H_

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "agent/backup/git_backup_store.h"
#include "agent/probe/relay_probe.h"

namespace relayguard::testing {

// The basic relay tests against 127.0.0.1:`port`, sent from `source` (with TLS on connect for
// an implicit-TLS listener such as a Postfix smtps/wrappermode service).
inline agent::ProbeReport ProbeFrom(int port, const std::string& source,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(5),
                                    bool tls_on_connect = false) {
  agent::SmtpEndpoint endpoint{*ParseIpAddress("127.0.0.1"), static_cast<uint16_t>(port)};
  agent::ProbeOptions options;
  options.source = *ParseIpAddress(source);
  options.timeout = timeout;
  options.tls_on_connect = tls_on_connect;
  return agent::RunRelayProbe(
      endpoint, agent::BasicRelayTests("sender@example.org", "relay-test@example.net"), options);
}

// ProbeFrom's verdict, polled for up to 6 s until it is `want` (a daemon that just reloaded or
// re-executed itself answers late); the last verdict seen.
inline agent::ProbeVerdict VerdictFrom(int port, const std::string& source,
                                       agent::ProbeVerdict want, bool tls_on_connect = false) {
  agent::ProbeVerdict got = agent::ProbeVerdict::kInconclusive;
  for (int i = 0; i < 30; ++i) {
    got = ProbeFrom(port, source, std::chrono::seconds(5), tls_on_connect).verdict;
    if (got == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return got;
}

// The reply to the first test's RCPT, e.g. "554 5.7.1 <...>: Relay access denied".
inline std::string RcptReply(const agent::ProbeReport& report) {
  for (const agent::SmtpExchange& e : report.tests.at(0).exchanges) {
    if (e.command.rfind("RCPT", 0) == 0) return e.reply;
  }
  return "(no RCPT)";
}

// The backup commits in `state_dir`, newest first.
inline std::vector<agent::CommitInfo> BackupHistory(const std::string& state_dir) {
  auto store = agent::GitBackupStore::Open(state_dir + "/backup");
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return {};
  auto history = (*store)->History(100);
  EXPECT_TRUE(history.ok()) << history.status();
  return history.ok() ? *history : std::vector<agent::CommitInfo>{};
}

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_RELAY_CHECKS_H_
