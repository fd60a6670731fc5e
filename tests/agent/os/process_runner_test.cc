#include "agent/os/process_runner.h"

#include <chrono>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;

TEST(ProcessRunnerTest, CapturesExitCodeAndBothStreams) {
  RealProcessRunner runner;
  absl::StatusOr<ProcessResult> r =
      runner.Run({{"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, "", std::chrono::seconds(5)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->stdout_text, "out\n");
  EXPECT_EQ(r->stderr_text, "err\n");
  EXPECT_FALSE(r->timed_out);
}

TEST(ProcessRunnerTest, PassesStdinAndReadsLargeOutputWithoutDeadlock) {
  RealProcessRunner runner;
  std::string input(200000, 'x');
  absl::StatusOr<ProcessResult> r = runner.Run({{"/bin/cat"}, input, std::chrono::seconds(10)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stdout_text.size(), input.size());
  r = runner.Run({{"/bin/sh", "-c", "head -c 1048576 /dev/zero; head -c 1048576 /dev/zero >&2"},
                  "", std::chrono::seconds(10)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stdout_text.size(), 1048576u);
  EXPECT_EQ(r->stderr_text.size(), 1048576u);
}

TEST(ProcessRunnerTest, TimeoutKillsTheProcessGroup) {
  RealProcessRunner runner;
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<ProcessResult> r =
      runner.Run({{"/bin/sleep", "10"}, "", std::chrono::milliseconds(200)});
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->exit_code, -1);
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(ProcessRunnerTest, DaemonHoldingThePipeDoesNotHoldTheRun) {
  // Like `postfix start`: the child exits, a background grandchild keeps stdout open.
  RealProcessRunner runner;
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<ProcessResult> r = runner.Run(
      {{"/bin/sh", "-c", "(sleep 5 &) ; echo started"}, "", std::chrono::seconds(30)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->stdout_text, "started\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(ProcessRunnerTest, RefusesRelativeAndMissingPrograms) {
  RealProcessRunner runner;
  absl::StatusOr<ProcessResult> r = runner.Run({{"postconf", "-n"}});
  EXPECT_THAT(r.status().message(), HasSubstr("absolute path"));
  r = runner.Run({{"/no/such/program"}});
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("/no/such/program"));
}

TEST(ProcessRunnerTest, CommandToStringJoinsArgv) {
  Command c{{"/usr/sbin/postconf", "-c", "/etc/postfix", "-n"}};
  EXPECT_EQ(c.ToString(), "/usr/sbin/postconf -c /etc/postfix -n");
}

}  // namespace
}  // namespace relayguard::agent
