#include "common/text_lines.h"


#include "absl/strings/str_cat.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace relayguard {
namespace {

struct SplitCase {
  std::string name;
  std::string text;
  std::vector<std::string> contents;
  std::vector<std::string> endings;
};

TEST(SplitTextLinesTest, KeepsEveryByte) {
  const std::vector<SplitCase> cases = {
      {"empty text", "", {}, {}},
      {"LF", "a\nb\n", {"a", "b"}, {"\n", "\n"}},
      {"CRLF", "a\r\nb\r\n", {"a", "b"}, {"\r\n", "\r\n"}},
      {"no final newline", "a\nb", {"a", "b"}, {"\n", ""}},
      {"lone CR inside", "a\rb\n", {"a\rb"}, {"\n"}},
      {"lone CR at the end", "a\r", {"a\r"}, {""}},
      {"CR before CRLF", "a\r\r\n", {"a\r"}, {"\r\n"}},
      {"mixed endings", "a\r\nb\nc", {"a", "b", "c"}, {"\r\n", "\n", ""}},
      {"empty lines", "\n\r\n\n", {"", "", ""}, {"\n", "\r\n", "\n"}},
      {"only CRLF", "\r\n", {""}, {"\r\n"}},
  };
  for (const SplitCase& c : cases) {
    std::vector<TextLine> lines = SplitTextLines(c.text);
    std::vector<std::string> contents, endings;
    std::string joined;
    size_t expected_begin = 0;
    for (const TextLine& line : lines) {
      EXPECT_EQ(line.begin, expected_begin) << c.name;
      expected_begin = line.end;
      contents.emplace_back(line.Content(c.text));
      endings.emplace_back(line.Ending(c.text));
      absl::StrAppend(&joined, line.Whole(c.text));
    }
    EXPECT_EQ(contents, c.contents) << c.name;
    EXPECT_EQ(endings, c.endings) << c.name;
    EXPECT_EQ(joined, c.text) << c.name;
  }
}

TEST(FileLineEndingTest, FirstEndingOrLf) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "\n"}, {"a", "\n"}, {"a\r\nb\n", "\r\n"}, {"a\nb\r\n", "\n"}, {"a\r", "\n"}};
  for (const auto& [text, ending] : cases) {
    EXPECT_EQ(FileLineEnding(text, SplitTextLines(text)), ending) << text;
  }
}

TEST(AfterNewlineTest, FindsTheNextLine) {
  EXPECT_EQ(AfterNewline("ab\ncd", 0), 3u);
  EXPECT_EQ(AfterNewline("ab\ncd", 3), 5u);
  EXPECT_EQ(AfterNewline("", 0), 0u);
}

TEST(JoinLinePiecesTest, OwnEndingsFileEndingAndTheLastLine) {
  const std::vector<LinePiece> pieces = {{"a", "\r\n"}, {"b", ""}, {"c", "\n"}};
  EXPECT_EQ(JoinLinePieces(pieces, "\r\n", true), "a\r\nb\r\nc\n");
  EXPECT_EQ(JoinLinePieces(pieces, "\n", false), "a\r\nb\nc");
  EXPECT_EQ(JoinLinePieces({}, "\n", true), "");
  EXPECT_EQ(JoinLinePieces({{"x", ""}}, "\r\n", true), "x\r\n");
}

}  // namespace
}  // namespace relayguard
