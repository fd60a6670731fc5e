#include "common/logging.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace relayguard {
namespace {

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
