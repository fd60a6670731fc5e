#include "agent/mta/sendmail/relay_class.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace relayguard::agent::sendmail {
namespace {

using ::testing::IsEmpty;

std::vector<std::string> Words(const std::vector<ClassWord>& words) {
  std::vector<std::string> out;
  for (const ClassWord& w : words) out.push_back(w.word + "@" + std::to_string(w.line));
  return out;
}

TEST(ClassRSourcesOfTest, ReadsClassAndFileLines) {
  const ClassRSources s = ClassRSourcesOf(
      "# FR/etc/mail/commented\n"
      "CRpartner.example 10.1\n"
      "C{R} other.example\n"
      "Cw localhost\n"
      "FR-o /etc/mail/relay-domains %[^\\#]\n"
      "F{R}/etc/mail/more\n"
      "FR|/usr/bin/list-relays\n"
      "FRkey@ldap:-k x\n"
      "Fw-o /etc/mail/local-host-names\n");
  EXPECT_EQ(Words(s.words),
            (std::vector<std::string>{"partner.example@2", "10.1@2", "other.example@3"}));
  ASSERT_EQ(s.files.size(), 4u);
  EXPECT_EQ(s.files[0].path, "/etc/mail/relay-domains");
  EXPECT_TRUE(s.files[0].optional);
  EXPECT_EQ(s.files[0].format, "%[^\\#]");
  EXPECT_EQ(s.files[0].cf_line, 5u);
  EXPECT_EQ(s.files[1].path, "/etc/mail/more");
  EXPECT_FALSE(s.files[1].optional);
  EXPECT_EQ(s.files[1].format, "");
  EXPECT_EQ(s.files[2].path, "") << "a program is not a file";
  EXPECT_EQ(s.files[3].path, "") << "a map is not a file";
}

TEST(ClassFileWordsTest, FollowsTheScanfFormat) {
  const std::string text = "# comment\npartner.example other.example # c\n  10.1\n\n127 # x\n";
  std::optional<std::vector<ClassWord>> first = ClassFileWords(text, "");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(Words(*first), (std::vector<std::string>{"partner.example@2", "10.1@3", "127@5"}));
  std::optional<std::vector<ClassWord>> all = ClassFileWords(text, "%[^\\#]");
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(Words(*all),
            (std::vector<std::string>{"partner.example@2", "other.example@2", "10.1@3", "127@5"}));
  EXPECT_TRUE(ClassFileWords(text, "%[^#]").has_value());
  EXPECT_TRUE(ClassFileWords(text, "%s").has_value());
  EXPECT_FALSE(ClassFileWords(text, "%*s %s").has_value());
  EXPECT_THAT(*ClassFileWords("", ""), IsEmpty());
}

struct MemberCase {
  std::string name;
  std::string word;
  bool reported;
  std::string grants = "";
  std::string reason = "";  // substring; "" when it may stay
  std::string note = "";
};

class JudgeClassMemberTest : public ::testing::TestWithParam<MemberCase> {};

TEST_P(JudgeClassMemberTest, ReportsWhatLetsStrangersRelay) {
  Policy policy;
  policy.trusted_networks = {*ParseCidr("127.0.0.1/32")};
  policy.relay_domains = {"example.com"};
  std::optional<ClassMember> m = JudgeClassMember(GetParam().word, AccessPolicyFor(policy));
  ASSERT_EQ(m.has_value(), GetParam().reported);
  if (!m) return;
  EXPECT_EQ(m->grants, GetParam().grants);
  if (GetParam().reason.empty()) {
    EXPECT_EQ(m->reason, "");
  } else {
    EXPECT_THAT(m->reason, ::testing::HasSubstr(GetParam().reason));
  }
  EXPECT_EQ(m->note, GetParam().note);
}

INSTANTIATE_TEST_SUITE_P(
    Members, JudgeClassMemberTest,
    ::testing::Values(
        MemberCase{"WideNetwork", "127", true, "lets clients in 127.0.0.0/8 relay",
                   "untrusted probe source 127.0.0.9"},
        MemberCase{"NarrowNetwork", "10.1.2", true, "lets clients in 10.1.2.0/24 relay", ""},
        MemberCase{"Zero", "0", true, "lets clients in 0.0.0.0/8 relay", "everyone"},
        MemberCase{"TopLevelName", "com", true,
                   "lets clients named under com relay, and anyone relay to com",
                   "fewer than two labels"},
        MemberCase{"RelayDomain", "example.com", true,
                   "lets clients named under example.com relay, and anyone relay to example.com",
                   ""},
        MemberCase{"OtherDomain", "partner.example", true,
                   "lets clients named under partner.example relay, and anyone relay to "
                   "partner.example",
                   "", "partner.example is not one of the policy's relay domains"},
        MemberCase{"Loopback", "127.0.0.1", false}, MemberCase{"Localhost", "localhost", false},
        MemberCase{"NeverMatches", "10.01", false}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace relayguard::agent::sendmail
