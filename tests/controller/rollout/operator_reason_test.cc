// CheckReason (controller/rollout/operator_reason.cc): which reasons an operator may give, and
// what the refusal says.
#include "controller/rollout/operator_reason.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace relayguard::controller {
namespace {

using ::testing::HasSubstr;

TEST(CheckReasonTest, AcceptsEmptyAndOneLineUpToTheLimit) {
  const std::string fine[] = {
      "",
      "CHG-1042: close the open relay on the fra1 MX hosts",
      "Rückbau nach Störung — Ticket #77, 50 % der Mails abgewiesen",  // non-ASCII counts by char
      std::string(kMaxReasonChars, 'x'),
      "quotes \"and\" 'apostrophes', <tags> & emoji 🚀 are text",
  };
  for (const std::string& reason : fine) EXPECT_TRUE(CheckReason(reason).ok()) << reason;
  // 500 two-byte characters are 1000 bytes and still 500 characters.
  std::string umlauts;
  for (size_t i = 0; i < kMaxReasonChars; ++i) umlauts += "ä";
  EXPECT_TRUE(CheckReason(umlauts).ok()) << CheckReason(umlauts);
}

TEST(CheckReasonTest, RefusesWhatIsNotOneLineOfTextAndSaysWhatAndWhere) {
  struct Case {
    std::string reason;
    std::string message;
  };
  const Case cases[] = {
      {"rolled back\nbecause", "reason contains a newline (character 12)"},
      {"\r", "reason contains a carriage return (character 1)"},
      {"a\tb", "reason contains a tab (character 2)"},
      {std::string("nul\0here", 8), "reason contains the control character U+0000 (character 4)"},
      {"esc \x1b[31mred", "reason contains the control character U+001B (character 5)"},
      {"del\x7f", "reason contains the control character U+007F (character 4)"},
      {"c1 \xc2\x85", "reason contains the control character U+0085 (character 4)"},
      {"ä\xe2\x80\xa8", "reason contains a line separator (U+2028) (character 2)"},
      {"\xe2\x80\xa9", "reason contains a paragraph separator (U+2029) (character 1)"},
      {"bad \xff byte", "reason is not valid UTF-8 (byte 5)"},
      {"cut \xc3", "reason is not valid UTF-8 (byte 5)"},
      {"overlong \xc0\xaf", "reason is not valid UTF-8 (byte 10)"},
      {"surrogate \xed\xa0\x80", "reason is not valid UTF-8 (byte 11)"},
      {std::string(kMaxReasonChars + 1, 'x'), "reason is too long: 501 characters"},
  };
  for (const Case& c : cases) {
    absl::Status s = CheckReason(c.reason);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << c.message << ": " << s;
    EXPECT_THAT(s.message(), HasSubstr(c.message));
    EXPECT_THAT(s.message(), HasSubstr("at most 500 characters — nothing was changed"));
  }
}

TEST(CheckReasonTest, TheMessageNamesTheField) {
  absl::Status s = CheckReason("a\nb", "rollback reason");
  EXPECT_THAT(s.message(), HasSubstr("rollback reason contains a newline"));
}

}  // namespace
}  // namespace relayguard::controller
