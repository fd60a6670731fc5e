// Test support: what integration tests ask of a lab MTA after relayguard worked on it. The real
// relay probe from a source address, the reply it got to RCPT, and the agent's backup history.
#ifndef RELAYGUARD_TESTS_SUPPORT_RELAY_CHECKS_H_
#define RELAYGUARD_TESTS_SUPPORT_RELAY_CHECKS_H_

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "agent/backup/git_backup_store.h"
#include "agent/probe/relay_probe.h"

namespace relayguard::testing {

// The basic relay tests against 127.0.0.1:`port`, sent from `source`.
inline agent::ProbeReport ProbeFrom(int port, const std::string& source,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  agent::SmtpEndpoint endpoint{*ParseIpAddress("127.0.0.1"), static_cast<uint16_t>(port)};
  agent::ProbeOptions options;
  options.source = *ParseIpAddress(source);
  options.timeout = timeout;
  return agent::RunRelayProbe(
      endpoint, agent::BasicRelayTests("sender@example.org", "relay-test@example.net"), options);
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
