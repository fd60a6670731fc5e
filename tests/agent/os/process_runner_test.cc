#include "agent/os/process_runner.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;

constexpr std::chrono::milliseconds kTimeout{5000};

TEST(ProcessRunnerTest, CapturesExitCodeAndBothStreams) {
  RealProcessRunner runner;
  absl::StatusOr<ProcessResult> r = runner.Run(
      {{"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, "", std::chrono::seconds(5)});
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
                  "",
                  std::chrono::seconds(10)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stdout_text.size(), 1048576u);
  EXPECT_EQ(r->stderr_text.size(), 1048576u);
}

// Whether `pid` still runs (a zombie left for init to reap counts as gone).
bool IsRunning(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, comm, state;
  if (!(stat >> pid_field >> comm >> state)) return false;
  return state != "Z" && state != "X";
}

TEST(ProcessRunnerTest, TimeoutKillsTheProgramWithinAFewHundredMilliseconds) {
  RealProcessRunner runner;
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<ProcessResult> r =
      runner.Run({{"/bin/sleep", "10"}, "", std::chrono::milliseconds(200)});
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->exit_code, -1);
  EXPECT_GE(took, std::chrono::milliseconds(200));
  EXPECT_LT(took, std::chrono::milliseconds(500));
}

TEST(ProcessRunnerTest, TimeoutKillsTheWholeProcessGroup) {
  RealProcessRunner runner;
  // The shell starts a grandchild, reports its pid, then waits.
  absl::StatusOr<ProcessResult> r = runner.Run(
      {{"/bin/sh", "-c", "/bin/sleep 10 & echo $!; wait"}, "", std::chrono::milliseconds(300)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->timed_out);
  pid_t grandchild = std::atoi(r->stdout_text.c_str());
  ASSERT_GT(grandchild, 0) << r->stdout_text;
  // SIGKILL is delivered asynchronously; give it a moment.
  for (int i = 0; i < 100 && IsRunning(grandchild); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(IsRunning(grandchild));
}

TEST(ProcessRunnerTest, KilledBySignalIsExitCodeMinusOneNotATimeout) {
  RealProcessRunner runner;
  absl::StatusOr<ProcessResult> r =
      runner.Run({{"/bin/sh", "-c", "kill -TERM $$"}, "", std::chrono::seconds(5)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, -1);
  EXPECT_FALSE(r->timed_out);
}

TEST(ProcessRunnerTest, ChildThatIgnoresStdinDoesNotKillUsWithSigpipe) {
  RealProcessRunner runner;
  std::string input(4 << 20, 'x');
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<ProcessResult> r = runner.Run({{"/bin/true"}, input, std::chrono::seconds(5)});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_code, 0);
  }
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
}

TEST(ProcessRunnerTest, ChildGetsOnlyStandardDescriptors) {
  int null_fd = open("/dev/null", O_RDONLY);
  ASSERT_GE(null_fd, 0);
  int leaked = dup2(null_fd, 100);  // no O_CLOEXEC on purpose, clear of the fds ls opens
  close(null_fd);
  ASSERT_EQ(leaked, 100);
  RealProcessRunner runner;
  absl::StatusOr<ProcessResult> r =
      runner.Run({{"/bin/sh", "-c", "ls /proc/self/fd"}, "", std::chrono::seconds(5)});
  close(leaked);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->stdout_text, HasSubstr("2\n"));
  EXPECT_THAT(r->stdout_text, ::testing::Not(HasSubstr("100\n")));
}

TEST(ProcessRunnerTest, ChildStartsWithAnEmptySignalMask) {
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  RealProcessRunner runner;
  absl::StatusOr<ProcessResult> r =
      runner.Run({{"/bin/sh", "-c", "grep SigBlk /proc/self/status"}, "", std::chrono::seconds(5)});
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->stdout_text, HasSubstr("0000000000000000"));
}

TEST(ProcessRunnerTest, DaemonHoldingThePipeDoesNotHoldTheRun) {
  // Like `postfix start`: the child exits, a background grandchild keeps stdout open.
  RealProcessRunner runner;
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<ProcessResult> r =
      runner.Run({{"/bin/sh", "-c", "(sleep 5 &) ; echo started"}, "", std::chrono::seconds(30)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->stdout_text, "started\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(ProcessRunnerTest, RefusesRelativeMissingAndNonExecutablePrograms) {
  RealProcessRunner runner;
  absl::StatusOr<ProcessResult> r = runner.Run({{"postconf", "-n"}, "", kTimeout});
  EXPECT_TRUE(absl::IsInvalidArgument(r.status()));
  EXPECT_THAT(r.status().message(), HasSubstr("absolute path"));
  r = runner.Run({{}, "", kTimeout});
  EXPECT_TRUE(absl::IsInvalidArgument(r.status()));
  r = runner.Run({{"/no/such/program"}, "", kTimeout});
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("/no/such/program"));

  char tmpl[] = "/tmp/rg-runner-test.XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string script = dir + "/script";
  std::ofstream(script) << "#!/bin/sh\necho hi\n";
  chmod(script.c_str(), 0644);
  r = runner.Run({{script}, "", kTimeout});
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr(script));
  r = runner.Run({{dir}, "", kTimeout});
  EXPECT_THAT(r.status().message(), HasSubstr("not an executable file"));
  chmod(script.c_str(), 0755);
  r = runner.Run({{script}, "", kTimeout});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout_text, "hi\n");
  std::filesystem::remove_all(dir);
}

TEST(ProcessRunnerTest, CommandToStringJoinsArgv) {
  Command c{{"/usr/sbin/postconf", "-c", "/etc/postfix", "-n"}, "", kTimeout};
  EXPECT_EQ(c.ToString(), "/usr/sbin/postconf -c /etc/postfix -n");
  EXPECT_EQ(Command{}.ToString(), "");
}

}  // namespace
}  // namespace relayguard::agent

namespace relayguard::agent {
namespace {

std::string Silent(const ProcessResult& r) { return OutputSummary(r, "no output"); }

TEST(RunCheckedTest, ExitZeroIsTheResult) {
  RealProcessRunner runner;
  absl::StatusOr<ProcessResult> r =
      RunChecked(runner, Command{{"/bin/sh", "-c", "echo hi"}, "", std::chrono::seconds(5)}, Silent);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout_text, "hi\n");
}

TEST(RunCheckedTest, NonZeroExitNamesTheCommandHowItEndedAndItsDiagnostics) {
  RealProcessRunner runner;
  const Command cmd{{"/bin/sh", "-c", "echo one >&2; echo two >&2; exit 3"}, "",
                    std::chrono::seconds(5)};
  absl::StatusOr<ProcessResult> r = RunChecked(runner, cmd, Silent);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(), cmd.ToString() + " failed (exit 3): one; two");
  r = RunChecked(runner, Command{{"/bin/false"}, "", std::chrono::seconds(5)}, Silent,
                 "the check failed for /etc/x.conf");
  EXPECT_EQ(r.status().message(), "the check failed for /etc/x.conf (exit 1): no output");
}

TEST(RunCheckedTest, TimeoutIsAFailureAndAProgramThatCannotStartPassesThrough) {
  RealProcessRunner runner;
  absl::StatusOr<ProcessResult> r = RunChecked(
      runner, Command{{"/bin/sleep", "5"}, "", std::chrono::milliseconds(100)}, Silent);
  EXPECT_EQ(r.status().message(), "/bin/sleep 5 failed (timed out): no output");
  r = RunChecked(runner, Command{{"/nonexistent/prog"}, "", std::chrono::seconds(1)}, Silent);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find("failed ("), std::string::npos) << r.status();
}

}  // namespace
}  // namespace relayguard::agent
