#include "agent/mta/postfix/master_cf.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace relayguard::agent::postfix {
namespace {

using Overrides = std::map<std::string, std::string>;
using Strings = std::vector<std::string>;

std::string ReadData(const std::string& name) {
  std::string path = std::string(RG_SOURCE_DIR) + "/tests/data/postfix/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(MasterCfTest, DebianDefaultListensOnSmtpWithoutHost) {
  std::string text = ReadData("master.cf.dist");
  ASSERT_FALSE(text.empty());
  std::vector<MasterService> services = ParseMasterCf(text);
  ASSERT_FALSE(services.empty());
  EXPECT_EQ(services[0].service, "smtp");
  EXPECT_EQ(services[0].type, "inet");
  EXPECT_EQ(services[0].command, "smtpd");
  EXPECT_EQ(services[0].args, Strings{});
  EXPECT_EQ(services[0].line, 12);
  EXPECT_EQ(SmtpdOverrides(services[0]), Overrides{});
}

TEST(MasterCfTest, DebianDefaultHasNoCommentedOutServices) {
  for (const MasterService& s : ParseMasterCf(ReadData("master.cf.dist"))) {
    EXPECT_NE(s.service, "submission");
    EXPECT_NE(s.service, "submissions");
    EXPECT_NE(s.command, "postscreen");
  }
}

TEST(MasterCfTest, DebianDefaultContinuedArgsAreJoined) {
  // pipe services in master.cf.dist spread "flags=... argv=..." over continuation lines.
  for (const MasterService& s : ParseMasterCf(ReadData("master.cf.dist"))) {
    if (s.command != "pipe") continue;
    ASSERT_FALSE(s.args.empty()) << s.service;
    EXPECT_EQ(s.args[0].rfind("flags=", 0), 0u) << s.service;
  }
}

TEST(MasterCfTest, SubmissionServiceOverrides) {
  std::vector<MasterService> services = ParseMasterCf(ReadData("submission.master.cf"));
  ASSERT_EQ(services.size(), 3u);
  const MasterService& submission = services[1];
  EXPECT_EQ(submission.service, "submission");
  EXPECT_EQ(submission.line, 3);
  EXPECT_EQ(services[2].service, "pickup");
  EXPECT_EQ(services[2].line, 14);
  EXPECT_EQ(SmtpdOverrides(submission),
            (Overrides{{"syslog_name", "postfix/submission"},
                       {"smtpd_tls_security_level", "encrypt"},
                       {"smtpd_sasl_auth_enable", "yes"},
                       {"smtpd_reject_unlisted_recipient", "no"},
                       {"smtpd_client_restrictions", ""},
                       {"smtpd_relay_restrictions", ""},
                       {"smtpd_recipient_restrictions", "permit_sasl_authenticated,reject"},
                       {"milter_macro_daemon_name", "ORIGINATING"}}));
}

TEST(MasterCfTest, ReadsHostPortAndEveryOverrideForm) {
  std::vector<MasterService> services = ParseMasterCf(ReadData("overrides.master.cf"));
  ASSERT_EQ(services.size(), 3u);  // the short line is skipped
  EXPECT_EQ(services[0].line, 2);
  EXPECT_EQ(SmtpdOverrides(services[0]),
            (Overrides{{"syslog_name", "postfix/lab"},
                       {"mynetworks", "0.0.0.0/0"},
                       {"smtpd_tls_security_level", "may"},
                       {"smtpd_relay_restrictions", "permit_mynetworks, reject"}}));
}

TEST(MasterCfTest, LaterOverridesWin) {
  std::vector<MasterService> services = ParseMasterCf(ReadData("listeners.master.cf"));
  ASSERT_EQ(services.size(), 3u);
  EXPECT_EQ(services[1].line, 3);
  EXPECT_EQ(services[2].line, 8);
  EXPECT_EQ(SmtpdOverrides(services[1]),
            (Overrides{{"smtpd_tls_security_level", "none"},
                       {"smtpd_relay_restrictions", "permit_mynetworks, reject_unauth_destination"},
                       {"mynetworks", "10.0.0.0/8"}}));
}

TEST(MasterCfTest, CrlfLinesParse) {
  std::vector<MasterService> services = ParseMasterCf(ReadData("crlf.master.cf"));
  ASSERT_EQ(services.size(), 2u);
  EXPECT_EQ(services[0].command, "smtpd");
  EXPECT_EQ(services[1].command, "pickup");
  EXPECT_EQ(services[1].line, 3);
  EXPECT_EQ(SmtpdOverrides(services[0]), (Overrides{{"smtpd_relay_restrictions", "reject"}}));
}

struct ParseCase {
  std::string name;
  std::string text;
  std::vector<std::string> services;  // column 1 of each parsed service
  std::vector<int> lines;
  std::vector<std::string> last_args;  // args of the last service
};

class ParseMasterCfTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseMasterCfTest, FindsCompleteServices) {
  std::vector<MasterService> services = ParseMasterCf(GetParam().text);
  Strings names;
  std::vector<int> lines;
  for (const MasterService& s : services) {
    names.push_back(s.service);
    lines.push_back(s.line);
  }
  EXPECT_EQ(names, GetParam().services);
  EXPECT_EQ(lines, GetParam().lines);
  if (!services.empty()) {
    EXPECT_EQ(services.back().args, GetParam().last_args);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Texts, ParseMasterCfTest,
    ::testing::Values(
        ParseCase{"Single", "smtp inet n - y - - smtpd -v\n", {"smtp"}, {1}, {"-v"}},
        ParseCase{"Tabs", "smtp\tinet\tn\t-\ty\t-\t-\tsmtpd\t-v\n", {"smtp"}, {1}, {"-v"}},
        ParseCase{"ContinuationsWithCommentsAndBlanks",
                  "# head\nsmtp inet n - y - - smtpd\n  -o a=1\n\n# c\n\t-o b=2\npickup unix n - "
                  "y 60 1 pickup\n",
                  {"smtp", "pickup"},
                  {2, 7},
                  {}},
        ParseCase{"ArgsAcrossLines",
                  "x unix - n n - - pipe\n  flags=F user=u\n  argv=/bin/x ${a}\n",
                  {"x"},
                  {1},
                  {"flags=F", "user=u", "argv=/bin/x", "${a}"}},
        ParseCase{
            "ColumnsCompletedByContinuation", "smtp inet n - y -\n  - smtpd\n", {"smtp"}, {1}, {}},
        ParseCase{
            "LeadingWhitespaceAtTop", "  -o a=1\nsmtp inet n - y - - smtpd\n", {"smtp"}, {2}, {}},
        ParseCase{"ShortLineSkipped", "short line\nsmtp inet n - y - - smtpd\n", {"smtp"}, {2}, {}},
        ParseCase{
            "NoFinalNewline", "smtp inet n - y - - smtpd -o a=1", {"smtp"}, {1}, {"-o", "a=1"}},
        ParseCase{"OnlyComments", "# a\n#smtp inet n - y - - smtpd\n", {}, {}, {}}),
    [](const auto& info) { return info.param.name; });

struct OverridesCase {
  std::string name;
  std::vector<std::string> args;
  Overrides overrides;
};

class SmtpdOverridesTest : public ::testing::TestWithParam<OverridesCase> {};

TEST_P(SmtpdOverridesTest, ReadsEveryForm) {
  MasterService s;
  s.service = "smtp";
  s.type = "inet";
  s.command = "smtpd";
  s.args = GetParam().args;
  EXPECT_EQ(SmtpdOverrides(s), GetParam().overrides);
}

INSTANTIATE_TEST_SUITE_P(
    Args, SmtpdOverridesTest,
    ::testing::Values(
        OverridesCase{"Separate", {"-o", "a=1"}, {{"a", "1"}}},
        OverridesCase{"Attached", {"-oa=1"}, {{"a", "1"}}},
        OverridesCase{"EmptyValue", {"-o", "a="}, {{"a", ""}}},
        OverridesCase{"ValueWithEquals", {"-o", "a=b=c"}, {{"a", "b=c"}}},
        OverridesCase{"References", {"-o", "a=$b,${c}"}, {{"a", "$b,${c}"}}},
        OverridesCase{"BracesSpanWords", {"-o", "{", "a", "=", "x", "y", "}"}, {{"a", "x y"}}},
        OverridesCase{"BracesOneWord", {"-o", "{a=x}"}, {{"a", "x"}}},
        OverridesCase{"BracesAttached", {"-o{", "a", "=", "x,", "y", "}"}, {{"a", "x, y"}}},
        OverridesCase{"NestedBraces",
                      {"-o", "{", "a", "=", "x", "{", "y", "}", "}", "-o", "b=2"},
                      {{"a", "x { y }"}, {"b", "2"}}},
        OverridesCase{"LaterWins", {"-o", "a=1", "-oa=2", "-o", "{ a = 3 }"}, {{"a", "3"}}},
        OverridesCase{"OtherFlagsIgnored", {"-v", "-v", "-o", "a=1", "-D"}, {{"a", "1"}}},
        OverridesCase{"DanglingO", {"-o"}, {}}, OverridesCase{"NoEquals", {"-o", "a"}, {}},
        OverridesCase{"None", {}, {}}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace relayguard::agent::postfix
