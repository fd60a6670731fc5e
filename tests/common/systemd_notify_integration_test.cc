// The systemd notification protocol of the real daemons (Type=notify units): this test plays
// systemd's part, NOTIFY_SOCKET at a datagram socket it reads and WATCHDOG_USEC set, and sees
// READY=1 only once the controller's listener accepts connections, WATCHDOG=1 keep coming,
// RELOADING=1 then READY=1 on SIGHUP (ExecReload), STOPPING=1 on SIGTERM; and READY=1 and
// WATCHDOG=1 from `relayguard-agent run` (on a real Postfix).
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/daemon.h"
#include "tests/support/notify_socket.h"
#include "tests/support/postfix_lab.h"

namespace relayguard {
namespace {

using ::relayguard::testing::Daemon;
using ::relayguard::testing::FreeLoopbackPort;
using ::relayguard::testing::NotifySocket;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::SourcePath;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kBin = RG_BINARY_DIR;

bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// Starts `argv` as systemd would for a Type=notify unit with WatchdogSec=0.4s.
std::unique_ptr<Daemon> StartNotified(const NotifySocket& socket, std::vector<std::string> argv,
                                      const std::string& log) {
  setenv("NOTIFY_SOCKET", socket.path().c_str(), 1);
  setenv("WATCHDOG_USEC", "400000", 1);
  auto daemon = std::make_unique<Daemon>(std::move(argv), log);
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  return daemon;
}

class SystemdNotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/relayguard-notify.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    socket_ = std::make_unique<NotifySocket>(dir_ + "/notify");
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::string dir_;
  std::unique_ptr<NotifySocket> socket_;
};

TEST_F(SystemdNotifyTest, ControllerIsReadyWhenItListensKeepsTheWatchdogAndReportsReloads) {
  const int port = FreeLoopbackPort();
  auto controller = StartNotified(
      *socket_,
      {kBin + "/controller/relayguard-controller", "--insecure", "--listen",
       "127.0.0.1:" + std::to_string(port), "--playbooks", SourcePath("playbooks"),
       "--state-dir", dir_ + "/state"},
      dir_ + "/controller.log");
  std::optional<std::string> ready = socket_->NextState(std::chrono::seconds(20));
  ASSERT_TRUE(ready.has_value()) << controller->Log();
  EXPECT_THAT(*ready, StartsWith("READY=1\n"));
  EXPECT_THAT(*ready, HasSubstr("STATUS=listening on 127.0.0.1:" + std::to_string(port)));
  EXPECT_TRUE(Accepts(port)) << "READY=1 came before the listener accepts connections";

  // WATCHDOG_USEC=400000: a ping every 200 ms; 1 s sees about five.
  int pings = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < until) {
    std::optional<std::string> m = socket_->Next(std::chrono::milliseconds(500));
    ASSERT_TRUE(m.has_value()) << "no message for 500 ms; the watchdog would fire";
    if (*m == "WATCHDOG=1") ++pings;
  }
  EXPECT_GE(pings, 3);

  ASSERT_EQ(kill(controller->pid(), SIGHUP), 0);
  EXPECT_EQ(socket_->NextState(std::chrono::seconds(5)), "RELOADING=1");
  std::optional<std::string> again = socket_->NextState(std::chrono::seconds(5));
  ASSERT_TRUE(again.has_value());
  EXPECT_THAT(*again, StartsWith("READY=1\n"));

  ASSERT_EQ(kill(controller->pid(), SIGTERM), 0);
  EXPECT_EQ(socket_->NextState(std::chrono::seconds(5)), "STOPPING=1") << controller->Log();
}

TEST_F(SystemdNotifyTest, AgentRunIsReadyAndKeepsTheWatchdog) {
  PostfixLab lab("127.0.0.0/8");
  lab.Start();
  const int port = FreeLoopbackPort();  // no controller there: the agent is ready regardless
  auto agent = StartNotified(
      *socket_,
      lab.AgentArgv({"run", "--controller", "127.0.0.1:" + std::to_string(port), "--host",
                     "mx1", "--insecure"}),
      dir_ + "/agent.log");
  std::optional<std::string> ready = socket_->NextState(std::chrono::seconds(20));
  ASSERT_TRUE(ready.has_value()) << agent->Log();
  EXPECT_THAT(*ready, StartsWith("READY=1\n"));
  EXPECT_THAT(*ready, HasSubstr("STATUS=streaming to 127.0.0.1:" + std::to_string(port)));
  int pings = 0;
  for (int i = 0; i < 3; ++i) {
    std::optional<std::string> m = socket_->Next(std::chrono::milliseconds(500));
    ASSERT_TRUE(m.has_value()) << "no message for 500 ms; the watchdog would fire";
    if (*m == "WATCHDOG=1") ++pings;
  }
  EXPECT_EQ(pings, 3);
  ASSERT_EQ(kill(agent->pid(), SIGTERM), 0);
  EXPECT_EQ(socket_->NextState(std::chrono::seconds(10)), "STOPPING=1") << agent->Log();
}

}  // namespace
}  // namespace relayguard
