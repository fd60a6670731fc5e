#include "agent/monitor/line_splitter.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace relayguard::agent {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Drain(LineSplitter& splitter, size_t* total_bytes = nullptr) {
  std::vector<std::string> lines;
  std::string line;
  size_t bytes = 0;
  while (splitter.Next(line, bytes)) {
    lines.push_back(line);
    if (total_bytes) *total_bytes += bytes;
  }
  return lines;
}

TEST(LineSplitterTest, SplitsChunksAtNewlinesWhereverTheChunksEnd) {
  LineSplitter splitter;
  splitter.Append("one\ntw");
  EXPECT_THAT(Drain(splitter), ElementsAre("one"));
  splitter.Append("o\n\nthree");
  size_t bytes = 0;
  EXPECT_THAT(Drain(splitter, &bytes), ElementsAre("two", ""));
  EXPECT_EQ(bytes, 5u);  // "o\n" finished "two" (4 bytes with its newline), then "\n"
  EXPECT_TRUE(splitter.has_partial());
  splitter.Append("\n");
  EXPECT_THAT(Drain(splitter), ElementsAre("three"));
  EXPECT_FALSE(splitter.has_partial());
}

TEST(LineSplitterTest, CutsAnOverLongLineAndCountsAllItsBytes) {
  LineSplitter splitter(10);
  splitter.Append(std::string(7, 'a'));
  splitter.Append(std::string(20, 'b'));
  splitter.Append("cc\nnext\n");
  std::string line;
  size_t bytes = 0;
  ASSERT_TRUE(splitter.Next(line, bytes));
  EXPECT_EQ(line, "aaaaaaabbb");
  EXPECT_EQ(bytes, 7u + 20u + 2u + 1u);
  ASSERT_TRUE(splitter.Next(line, bytes));
  EXPECT_EQ(line, "next");
  EXPECT_FALSE(splitter.Next(line, bytes));
}

TEST(LineSplitterTest, TakesTheUnfinishedLastLineOnlyWhenAsked) {
  LineSplitter splitter;
  splitter.Append("done\nhalf");
  std::string line;
  size_t bytes = 0;
  EXPECT_FALSE(splitter.TakePartial(line, bytes));  // a complete line is still waiting
  ASSERT_TRUE(splitter.Next(line, bytes));
  ASSERT_TRUE(splitter.TakePartial(line, bytes));
  EXPECT_EQ(line, "half");
  EXPECT_EQ(bytes, 4u);
  EXPECT_FALSE(splitter.TakePartial(line, bytes));
}

}  // namespace
}  // namespace relayguard::agent
