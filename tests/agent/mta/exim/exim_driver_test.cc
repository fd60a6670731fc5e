// The pure parts of the Exim driver; the driver itself runs against real Exim in
// tests/agent/apply/mta_apply_integration_test.cc.
#include "agent/mta/exim/exim_driver.h"

#include <gtest/gtest.h>

namespace relayguard::agent::exim {
namespace {

TEST(RcptReplyCodeTest, FindsTheReplyToRcptInAnEximBhSession) {
  struct Case {
    std::string output;
    std::optional<int> want;
  };
  const std::vector<Case> cases = {
      {"220 mx ESMTP Exim 4.96\r\n250-mx Hello\r\n250-SIZE 52428800\r\n250 HELP\r\n"
       "250 OK\r\n550 relay not permitted\r\n221 mx closing connection\r\n",
       550},
      {"220 mx ESMTP\n250 mx Hello\n250 OK\n250 Accepted\n221 bye\n", 250},
      // Multi-line RCPT reply: the final line counts.
      {"220 a\n250 b\n250 c\n550-first\n550 last\n221 d\n", 550},
      // Dropped after MAIL: no RCPT reply.
      {"220 a\n250 b\n421 too many errors\n", std::nullopt},
      {"", std::nullopt},
      // Exim's -bh trace lines on stdout are not replies.
      {">>> host in hosts_connection_nolog? no\n220 a\n250 b\n250 c\n451 try later\n", 451},
  };
  for (const Case& c : cases) EXPECT_EQ(RcptReplyCode(c.output), c.want) << c.output;
}

TEST(MainOptionTest, ReadsMainSectionOptionsOnly) {
  const std::string conf =
      "# comment\n"
      "daemon_smtp_ports  = 2526 : 587\r\n"
      "local_interfaces = 127.0.0.1\n"
      "pid_file_path=/run/x.pid\n"
      "begin acl\n"
      "daemon_smtp_ports = 9999\n";
  EXPECT_EQ(MainOption(conf, "daemon_smtp_ports"), "2526 : 587");
  EXPECT_EQ(MainOption(conf, "local_interfaces"), "127.0.0.1");
  EXPECT_EQ(MainOption(conf, "pid_file_path"), "/run/x.pid");
  EXPECT_EQ(MainOption(conf, "primary_hostname"), std::nullopt);
  EXPECT_EQ(MainOption(conf, "daemon_smtp_port"), std::nullopt) << "a prefix is not a match";
}

}  // namespace
}  // namespace relayguard::agent::exim
