// PostfixDriver::PreflightAuth before it reaches the socket: a Postfix without Dovecot SASL
// support (`postconf -a`) and a backend Postfix cannot use are refused with the reason. The
// socket checks themselves run against a real Dovecot (postfix_auth_integration_test.cc).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/mta/postfix/postfix_driver.h"

namespace relayguard::agent::postfix {
namespace {

using ::testing::HasSubstr;

class PostconfRunner : public ProcessRunner {
 public:
  std::vector<Command> commands_ran;
  std::string types = "cyrus\n";
  absl::StatusOr<ProcessResult> Run(const Command& command) override {
    commands_ran.push_back(command);
    return ProcessResult{0, false, types, ""};
  }
};

Policy AuthPolicy(SaslBackend backend) {
  Policy p;
  p.name = "t";
  p.version = 1;
  AuthSettings a;
  a.backend = backend;
  a.path = "/var/spool/postfix/private/auth";
  p.auth = a;
  return p;
}

TEST(PostfixPreflightAuthTest, PostfixWithoutDovecotSupportIsRefused) {
  RealFileSystem fs;
  PostconfRunner runner;
  PostfixDriver driver(PostfixOptions{}, fs, runner);
  absl::StatusOr<BackendAnswer> answer =
      driver.PreflightAuth(AuthPolicy(SaslBackend::kDovecot), SmokeCredential{}, {}, "/tmp/x");
  ASSERT_TRUE(absl::IsFailedPrecondition(answer.status())) << answer.status();
  EXPECT_EQ(answer.status().message(),
            "this Postfix has no dovecot SASL support (/usr/sbin/postconf -a: cyrus)");
  ASSERT_EQ(runner.commands_ran.size(), 1u);
  EXPECT_EQ(runner.commands_ran[0].argv,
            (std::vector<std::string>{"/usr/sbin/postconf", "-c", "/etc/postfix", "-a"}));
}

TEST(PostfixPreflightAuthTest, BackendOtherThanDovecotIsRefusedBeforeAnythingRuns) {
  RealFileSystem fs;
  PostconfRunner runner;
  PostfixDriver driver(PostfixOptions{}, fs, runner);
  absl::StatusOr<BackendAnswer> answer =
      driver.PreflightAuth(AuthPolicy(SaslBackend::kSasldb), SmokeCredential{}, {}, "/tmp/x");
  ASSERT_TRUE(absl::IsInvalidArgument(answer.status())) << answer.status();
  EXPECT_THAT(answer.status().message(), HasSubstr("auth.backend is sasldb"));
  EXPECT_TRUE(runner.commands_ran.empty());
}

}  // namespace
}  // namespace relayguard::agent::postfix
