#include "common/logging.h"

#include <gtest/gtest.h>

#include <sstream>
#include "spdlog/sinks/ostream_sink.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace relayguard {
namespace {

// What a logger with LogFormatter(journal) writes for `level`.
std::string Formatted(bool journal, spdlog::level::level_enum level) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  spdlog::logger logger("agent.apply", sink);
  logger.set_formatter(LogFormatter(journal));
  logger.set_level(spdlog::level::trace);
  logger.log(level, "files restored");
  return out.str();
}

TEST(LogFormatterTest, TheJournalGetsTheSyslogPriorityAndNoTimestamp) {
  EXPECT_EQ(Formatted(true, spdlog::level::warn), "<4>warning [agent.apply] files restored\n");
  EXPECT_EQ(Formatted(true, spdlog::level::err), "<3>error [agent.apply] files restored\n");
  EXPECT_EQ(Formatted(true, spdlog::level::info), "<6>info [agent.apply] files restored\n");
  EXPECT_EQ(Formatted(true, spdlog::level::debug), "<7>debug [agent.apply] files restored\n");
  EXPECT_EQ(Formatted(true, spdlog::level::critical),
            "<2>critical [agent.apply] files restored\n");
}

TEST(LogFormatterTest, ATerminalOrFileGetsTheTimestamp) {
  const std::string line = Formatted(false, spdlog::level::warn);
  // "2026-12-05T03:42:00.123 warning [agent.apply] files restored"
  ASSERT_GE(line.size(), 24u) << line;
  EXPECT_EQ(line[4], '-');
  EXPECT_EQ(line[10], 'T');
  EXPECT_EQ(line[19], '.');
  EXPECT_EQ(line.substr(23), " warning [agent.apply] files restored\n");
}

TEST(LogFormatterTest, StderrIsTheJournalOnlyWhenJournalStreamNamesIt) {
  EXPECT_TRUE(StderrIsJournal("64769:1234567", 64769, 1234567));
  EXPECT_FALSE(StderrIsJournal(nullptr, 64769, 1234567));
  EXPECT_FALSE(StderrIsJournal("64769:1234567", 64769, 7654321));  // stderr redirected since
  EXPECT_FALSE(StderrIsJournal("64769", 64769, 1234567));
  EXPECT_FALSE(StderrIsJournal("x:y", 0, 0));
}

// The first use of a logger name from many threads at once (1000 agents connecting to a new
// controller) must give every caller the same logger and throw for none of them.
TEST(LoggerTest, ManyThreadsAskingForANewNameAtOnceGetOneLogger) {
  for (int round = 0; round < 50; ++round) {
    const std::string name = "logging_test.race." + std::to_string(round);
    std::atomic<bool> go{false};
    std::atomic<int> thrown{0};
    std::vector<std::shared_ptr<spdlog::logger>> got(8);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < got.size(); ++i) {
      threads.emplace_back([&, i] {
        while (!go.load()) {
        }
        try {
          got[i] = Logger(name);
        } catch (const std::exception&) {
          thrown.fetch_add(1);
        }
      });
    }
    go = true;
    for (std::thread& t : threads) t.join();
    ASSERT_EQ(thrown.load(), 0) << "round " << round;
    for (const auto& l : got) {
      ASSERT_NE(l, nullptr);
      EXPECT_EQ(l.get(), got[0].get());
      EXPECT_EQ(l->name(), name);
    }
  }
}

}  // namespace
}  // namespace relayguard
