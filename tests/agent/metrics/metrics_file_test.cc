// MetricsFile (agent/metrics/metrics_file.cc) with a clock the test moves and a real temp dir:
// when the file is rewritten, and a path that cannot be written (logged once, retried).
#include "agent/metrics/metrics_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/logging.h"
#include "spdlog/sinks/ostream_sink.h"
#include "tests/support/wait.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::CountOf;
using ::testing::HasSubstr;

class MovedClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return now; }
  int64_t WallSeconds() override { return 1700000000; }
  void SleepFor(std::chrono::milliseconds d) override { now += d; }
  std::chrono::steady_clock::time_point now{};
};

class MetricsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-metrics-file.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    Logger("agent.metrics")->sinks().push_back(sink_);
  }
  void TearDown() override {
    auto& sinks = Logger("agent.metrics")->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
    std::filesystem::remove_all(dir_);
  }
  std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::string dir_;
  std::ostringstream log_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
  MovedClock clock_;
  AgentMetrics metrics_{"0.1.0"};
  MetricsFile file_{metrics_, clock_};
};

TEST_F(MetricsFileTest, WritesWhenSomethingChangedAndAtLeastEveryInterval) {
  EXPECT_FALSE(file_.Tick().has_value());  // no path: nothing to do
  const std::string path = dir_ + "/relayguard-agent.prom";
  file_.Configure(path, std::chrono::seconds(30));
  std::optional<absl::Status> written = file_.Tick();
  ASSERT_TRUE(written.has_value());
  EXPECT_TRUE(written->ok()) << *written;
  EXPECT_THAT(Read(path), HasSubstr("relayguard_agent_connected 0\n"));
  EXPECT_FALSE(file_.Tick().has_value());  // nothing changed

  metrics_.OnConnected();
  written = file_.Tick();
  ASSERT_TRUE(written.has_value());
  EXPECT_THAT(Read(path), HasSubstr("relayguard_agent_connected 1\n"));

  clock_.SleepFor(std::chrono::seconds(29));
  EXPECT_FALSE(file_.Tick().has_value());
  std::filesystem::remove(path);
  clock_.SleepFor(std::chrono::seconds(1));
  written = file_.Tick();  // the interval passed: written again, unchanged
  ASSERT_TRUE(written.has_value());
  EXPECT_TRUE(written->ok());
  EXPECT_THAT(Read(path), HasSubstr("relayguard_agent_connected 1\n"));
  // Only the file: no temporary file stays behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(MetricsFileTest, AnUnwritablePathIsLoggedOnceRetriedAndAFixedPathWritesAgain) {
  // A regular file where the directory should be: no one, root included, can write there.
  std::ofstream(dir_ + "/not-a-dir") << "x";
  const std::string bad = dir_ + "/not-a-dir/relayguard-agent.prom";
  file_.Configure(bad, std::chrono::seconds(10));
  std::optional<absl::Status> written = file_.Tick();
  ASSERT_TRUE(written.has_value());
  EXPECT_FALSE(written->ok());
  EXPECT_THAT(written->message(), HasSubstr(bad));
  metrics_.OnConnected();
  written = file_.Tick();  // a change: tried again, the same error
  ASSERT_TRUE(written.has_value());
  EXPECT_FALSE(written->ok());
  EXPECT_FALSE(file_.Tick().has_value());  // not at every tick
  clock_.SleepFor(std::chrono::seconds(10));
  EXPECT_TRUE(file_.Tick().has_value());
  EXPECT_EQ(CountOf(log_.str(), "metrics file: cannot"), 1u) << log_.str();
  EXPECT_THAT(log_.str(), HasSubstr("Not a directory"));
  EXPECT_THAT(log_.str(), HasSubstr("the agent goes on without it"));

  const std::string good = dir_ + "/relayguard-agent.prom";
  file_.Configure(good, std::chrono::seconds(10));
  written = file_.Tick();
  ASSERT_TRUE(written.has_value());
  EXPECT_TRUE(written->ok()) << *written;
  EXPECT_THAT(Read(good), HasSubstr("relayguard_agent_connected 1\n"));
}

}  // namespace
}  // namespace relayguard::agent
