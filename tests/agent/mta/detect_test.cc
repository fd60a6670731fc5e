#include "agent/mta/detect.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;

MtaCandidate C(const std::string& kind, bool installed, bool running) {
  return MtaCandidate{kind, installed, running, "/somewhere/" + kind};
}

TEST(DetectMtaTest, PicksTheOnlyInstalledMta) {
  auto got = DetectMta({C("postfix", false, false), C("exim", true, false),
                        C("sendmail", false, false)});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "exim");
}

TEST(DetectMtaTest, AmongSeveralInstalledPicksTheOneRunning) {
  auto got = DetectMta({C("postfix", true, false), C("exim", true, false),
                        C("sendmail", true, true)});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "sendmail");
}

TEST(DetectMtaTest, NoneInstalledSaysWhereItLooked) {
  auto got = DetectMta({C("postfix", false, false), C("exim", false, false)});
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(absl::IsNotFound(got.status()));
  EXPECT_THAT(got.status().message(), HasSubstr("postfix (/somewhere/postfix)"));
  EXPECT_THAT(got.status().message(), HasSubstr("give --mta"));
}

TEST(DetectMtaTest, SeveralRunningOrNoneRunningIsAmbiguous) {
  for (bool running : {true, false}) {
    auto got = DetectMta({C("postfix", true, running), C("exim", true, running)});
    ASSERT_FALSE(got.ok());
    EXPECT_TRUE(absl::IsFailedPrecondition(got.status()));
    EXPECT_THAT(got.status().message(), HasSubstr("several MTAs found: postfix"));
    EXPECT_THAT(got.status().message(), HasSubstr("--mta"));
  }
}

}  // namespace
}  // namespace relayguard::agent
