// The pure parts of the Sendmail driver; the driver itself runs against real Sendmail in
// tests/agent/apply/mta_apply_integration_test.cc.
#include "agent/mta/sendmail/sendmail_driver.h"

#include <gtest/gtest.h>

namespace relayguard::agent::sendmail {
namespace {

TEST(CheckRcptRefusedTest, ReadsTheCheckRcptVerdictOfSendmailBt) {
  EXPECT_EQ(CheckRcptRefused("ADDRESS TEST MODE\n> > check_rcpt         input: < v @ x . net >\n"
                             "Basic_check_rcpt returns: $# error $@ 5 . 7 . 1 $: \"550 "
                             "Relaying denied\"\n"
                             "check_rcpt       returns: $# error $@ 5 . 7 . 1 $: \"550 "
                             "Relaying denied\"\n> "),
            true);
  EXPECT_EQ(CheckRcptRefused("Relay_ok         returns: RELAY\n"
                             "Basic_check_rcpt returns: RELAY\n"
                             "check_rcpt       returns: RELAY\n"),
            false);
  EXPECT_EQ(CheckRcptRefused("> > check_rcpt       returns: < v @ example . net > $| @ v\n"),
            false);
  EXPECT_EQ(CheckRcptRefused("Basic_check_rcpt returns: $# error\n"), std::nullopt)
      << "only check_rcpt's own result counts";
  EXPECT_EQ(CheckRcptRefused(""), std::nullopt);
}

TEST(CfOptionTest, ReadsOptionLinesOfASendmailCf) {
  const std::string cf =
      "# O PidFile=/commented\n"
      "O DaemonPortOptions=Port=2527, Addr=127.0.0.1, Name=MTA\n"
      "O PidFile=/run/sendmail.pid\r\n"
      "OPidFile=/old-style\n";
  EXPECT_EQ(CfOption(cf, "PidFile"), "/run/sendmail.pid");
  EXPECT_EQ(CfOption(cf, "DaemonPortOptions"), "Port=2527, Addr=127.0.0.1, Name=MTA");
  EXPECT_EQ(CfOption(cf, "QueueDirectory"), std::nullopt);
}

}  // namespace
}  // namespace relayguard::agent::sendmail
