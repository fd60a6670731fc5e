// `relayguardctl scan --auth` end to end: the real binary against a scripted server whose AUTH
// accepts anything (relaying: "accepts bogus AUTH (...)"). The same against a real Postfix +
// Dovecot (refused) is in auth_probe_integration_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/support/auth_smtp_server.h"
#include "tests/support/postfix_lab.h"

namespace relayguard {
namespace {

using ::relayguard::testing::AuthScript;
using ::relayguard::testing::AuthSmtpServer;
using ::relayguard::testing::RunCommand;
using ::testing::HasSubstr;

const std::string kCtl = std::string(RG_BINARY_DIR) + "/controller/relayguardctl";

TEST(ScanAuthTest, ServerWhoseAuthAcceptsAnythingRelays) {
  AuthScript script;
  script.accept_any = true;
  AuthSmtpServer server(script);
  const std::string target = "127.0.0.1:" + std::to_string(server.endpoint().port);
  std::string table;
  int rc = RunCommand({kCtl, "scan", "--auth", "--from", "127.0.0.9", target}, &table);
  EXPECT_EQ(rc, 4) << table;
  EXPECT_THAT(table, HasSubstr("relay-accepted"));
  EXPECT_THAT(table, HasSubstr("accepts bogus AUTH (unknown-user)"));
  EXPECT_THAT(table, HasSubstr("1 open relays"));
  std::string json;
  rc = RunCommand({kCtl, "scan", "--auth", "--from", "127.0.0.9", "--json", target}, &json);
  EXPECT_EQ(rc, 4) << json;
  EXPECT_THAT(json, HasSubstr("\"reason\":\"accepts bogus AUTH (unknown-user)\""));
  // Without --auth the same server looks closed: its tricks without AUTH are refused.
  rc = RunCommand({kCtl, "scan", "--from", "127.0.0.9", target}, &table);
  EXPECT_EQ(rc, 0) << table;
}

}  // namespace
}  // namespace relayguard
