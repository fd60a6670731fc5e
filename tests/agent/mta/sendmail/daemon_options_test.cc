#include "agent/mta/sendmail/daemon_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace relayguard::agent::sendmail {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct ParseCase {
  std::string name;
  std::string value;
  std::string daemon_name, family, addr, port, modifiers;
  std::vector<std::string> unknown;
};

class ParseDaemonPortOptionsTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseDaemonPortOptionsTest, ReadsFieldsLikeSendmail) {
  const ParseCase& c = GetParam();
  const DaemonPortOptions d = ParseDaemonPortOptions(c.value);
  EXPECT_EQ(d.name, c.daemon_name);
  EXPECT_EQ(d.family, c.family);
  EXPECT_EQ(d.addr, c.addr);
  EXPECT_EQ(d.port, c.port);
  EXPECT_EQ(d.modifiers, c.modifiers);
  EXPECT_EQ(d.unknown, c.unknown);
}

INSTANTIATE_TEST_SUITE_P(
    Values, ParseDaemonPortOptionsTest,
    ::testing::Values(
        ParseCase{"Lab",
                  "Port=2525, Addr=127.0.0.1, Name=MTA-lab",
                  "MTA-lab",
                  "",
                  "127.0.0.1",
                  "2525",
                  "",
                  {}},
        ParseCase{"DebianMta",
                  "Family=inet,  Name=MTA-v4, Port=smtp, Addr=127.0.0.1",
                  "MTA-v4",
                  "inet",
                  "127.0.0.1",
                  "smtp",
                  "",
                  {}},
        ParseCase{"DebianMsp",
                  "Family=inet,  Name=MSP-v4, Port=submission, M=Ea, Addr=127.0.0.1",
                  "MSP-v4",
                  "inet",
                  "127.0.0.1",
                  "submission",
                  "Ea",
                  {}},
        ParseCase{"DefaultMsa", "Port=587, Name=MSA, M=E", "MSA", "", "", "587", "E", {}},
        ParseCase{"M4Default", "Name=MTA", "MTA", "", "", "", "", {}},
        ParseCase{"Smtps", "Port=smtps, Name=TLSMTA, M=s", "TLSMTA", "", "", "smtps", "s", {}},
        ParseCase{"V6",
                  "Family=inet6, Name=MTA-v6, Port=smtp, Addr=::1",
                  "MTA-v6",
                  "inet6",
                  "::1",
                  "smtp",
                  "",
                  {}},
        ParseCase{"FirstLetterDecides",
                  "port=25, address=10.0.0.1, family=INET6, n=x, mod=a",
                  "x",
                  "inet6",
                  "10.0.0.1",
                  "25",
                  "a",
                  {}},
        ParseCase{"BlanksAroundValues",
                  " Port= 25 ,Addr=  10.0.0.1  , M= E a ",
                  "",
                  "",
                  "10.0.0.1",
                  "25",
                  "Ea",
                  {}},
        ParseCase{"ModifiersAccumulate", "M=E, M=a", "", "", "", "", "Ea", {}},
        ParseCase{"OtherSettingsIgnored",
                  "Listen=100, SndBufSize=1, RcvBufSize=2, children=5, DeliveryMode=b, "
                  "delayLA=3, refuseLA=4, queueLA=5, InputMailFilters=f, Port=26",
                  "",
                  "",
                  "",
                  "26",
                  "",
                  {}},
        ParseCase{"FieldWithoutEqualsSkipped", "junk, Port=27", "", "", "", "27", "", {}},
        ParseCase{"UnknownKept", "Xtra=1, Port=28", "", "", "", "28", "", {"Xtra=1"}},
        ParseCase{"Empty", "", "", "", "", "", "", {}}),
    [](const auto& info) { return info.param.name; });

TEST(CfDaemonPortOptionsTest, FindsEveryDaemonLineWithItsNumber) {
  const std::string cf =
      "# O DaemonPortOptions=Port=1\n"
      "O DaemonPortOptions=Port=2525, Addr=127.0.0.1, Name=MTA\n"
      "O ClientPortOptions=Family=inet\n"
      "O DaemonPortOptions=Port=587, Name=MSA, M=E\r\n"
      "o daemonportoptions=Port=9\n"
      "O daemonportoptions = Port=465,\n"
      "\t Name=TLS, M=s\n"
      "OOPort=26, Name=Old\n"
      "O DaemonPortOptionsX=Port=3\n";
  std::vector<DaemonPortOptions> daemons = CfDaemonPortOptions(cf);
  ASSERT_EQ(daemons.size(), 4u);
  EXPECT_EQ(daemons[0].line, 2u);
  EXPECT_EQ(daemons[0].value, "Port=2525, Addr=127.0.0.1, Name=MTA");
  EXPECT_EQ(daemons[1].line, 4u);
  EXPECT_EQ(daemons[1].name, "MSA");
  EXPECT_EQ(daemons[2].line, 6u) << "a continued line is numbered by its first line";
  EXPECT_EQ(daemons[2].port, "465");
  EXPECT_EQ(daemons[2].name, "TLS");
  EXPECT_TRUE(daemons[2].Has('s'));
  EXPECT_EQ(daemons[3].name, "Old");
  EXPECT_EQ(daemons[3].line, 8u);
  EXPECT_THAT(CfDaemonPortOptions("O PidFile=/run/x\n"), IsEmpty());
}

TEST(McDaemonOptionsCallsTest, SkipsCommentedExamples) {
  const std::string mc =
      "dnl DAEMON_OPTIONS(`Family=inet6, Name=MTA-v6, Port=smtp, Addr=::1')dnl\n"
      "DAEMON_OPTIONS(`Family=inet,  Name=MTA-v4, Port=smtp, Addr=127.0.0.1')dnl\n"
      "# DAEMON_OPTIONS(`Port=1')\n"
      "ifdef(`X', `DAEMON_OPTIONS(`Port=2, Name=Cond')')dnl\n"
      "DAEMON_OPTIONS(Port=3, Name=Unquoted)\n";
  std::vector<McDaemonOptions> calls = McDaemonOptionsCalls(mc);
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].argument, "Family=inet,  Name=MTA-v4, Port=smtp, Addr=127.0.0.1");
  EXPECT_EQ(calls[0].line, 2u);
  EXPECT_FALSE(calls[0].conditional);
  EXPECT_EQ(calls[1].argument, "Port=2, Name=Cond");
  EXPECT_TRUE(calls[1].conditional);
  EXPECT_EQ(calls[2].argument, "Port=3") << "m4 splits unquoted arguments at commas";
  EXPECT_EQ(calls[2].line, 5u);
}

TEST(MatchMcDaemonOptionsTest, PairsEachCfDaemonWithItsCall) {
  const std::vector<DaemonPortOptions> daemons = {
      ParseDaemonPortOptions("Port=25, Name=A"), ParseDaemonPortOptions("Port=25, Name=A"),
      ParseDaemonPortOptions("Port=587, Name=MSA, M=E"), ParseDaemonPortOptions("Name=B")};
  const std::vector<McDaemonOptions> calls = {
      {"Name=B", 3}, {"Port=25, Name=A", 7}, {"Port=25, Name=A", 9}};
  EXPECT_THAT(MatchMcDaemonOptions(daemons, calls), ElementsAre(7, 9, 0, 3));
}

TEST(DaemonFlagsMacroTest, DoublesUpperCaseLetters) {
  EXPECT_EQ(DaemonFlagsMacro("Ea"), "EE a");
  EXPECT_EQ(DaemonFlagsMacro("s"), "s");
  EXPECT_EQ(DaemonFlagsMacro(" a A "), "a AA");
  EXPECT_EQ(DaemonFlagsMacro(""), "");
}

}  // namespace
}  // namespace relayguard::agent::sendmail
