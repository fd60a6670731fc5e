#include "agent/mta/postfix/list_text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace relayguard::agent::postfix {
namespace {

using Strings = std::vector<std::string>;

TEST(ListTextTest, WordsSkipCommentLinesAndKeepBracesTogether) {
  ListText t(
      "permit_mynetworks,\n# partners\n    check_client_access inline:{ a=OK, b=OK },\n"
      "\n\treject_unauth_destination",
      true);
  Strings words;
  std::vector<int> lines;
  for (const ListText::Word& w : t.words()) {
    words.push_back(w.text);
    lines.push_back(w.line);
  }
  EXPECT_EQ(words, (Strings{"permit_mynetworks", "check_client_access", "inline:{ a=OK, b=OK }",
                            "reject_unauth_destination"}));
  EXPECT_EQ(lines, (std::vector<int>{0, 2, 2, 4}));
  EXPECT_EQ(SplitListWords("a,b c\t, d"), (Strings{"a", "b", "c", "d"}));
  EXPECT_EQ(SplitListWords("  "), Strings{});
}

struct EditCase {
  std::string name;
  std::string text;
  bool spaces = true;
  // One edit: remove [first, last], or insert `element` before `before` (first < 0), or
  // replace word `before` (first == -2).
  int first = -1;
  int last = -1;
  int before = 0;
  std::string element;
  std::string want;
};

class ListTextEditTest : public ::testing::TestWithParam<EditCase> {};

TEST_P(ListTextEditTest, EditsOnlyWhatItMust) {
  const EditCase& c = GetParam();
  ListText t(c.text, c.spaces);
  if (c.first >= 0) {
    t.Remove(c.first, c.last);
  } else if (c.first == -2) {
    t.Replace(c.before, c.element);
  } else {
    t.Insert(c.before, c.element);
  }
  EXPECT_EQ(t.text(), c.want);
}

constexpr const char* kMultiLine = "permit_mynetworks,\n    permit,\n    reject_unauth_destination";

INSTANTIATE_TEST_SUITE_P(
    Edits, ListTextEditTest,
    ::testing::Values(
        EditCase{"RemoveMiddleOneLine", "a, permit, c", true, 1, 1, 0, "", "a, c"},
        EditCase{"RemoveFirstOneLine", "permit, b, c", true, 0, 0, 0, "", "b, c"},
        EditCase{"RemoveLastOneLine", "a, b, permit", true, 2, 2, 0, "", "a, b"},
        EditCase{"RemoveOnly", "permit", true, 0, 0, 0, "", ""},
        EditCase{"RemoveTwoWordElement", "a, check_client_access cidr:/x, c", true, 1, 2, 0, "",
                 "a, c"},
        EditCase{"RemoveWholeLine", kMultiLine, true, 1, 1, 0, "",
                 "permit_mynetworks,\n    reject_unauth_destination"},
        EditCase{"RemoveLastLineDropsTheCommaBefore", kMultiLine, true, 2, 2, 0, "",
                 "permit_mynetworks,\n    permit"},
        EditCase{"RemoveKeepsCommentLines", "a,\n    # why b\n    b,\n    # why c\n    c", true, 1,
                 1, 0, "", "a,\n    # why b\n    # why c\n    c"},
        EditCase{"RemoveLastKeepsCommentBefore", "a,\n# c comes\n    c", true, 1, 1, 0, "",
                 "a\n# c comes"},
        EditCase{"RemoveCrlf", "a,\r\n    b,\r\n    c", true, 1, 1, 0, "", "a,\r\n    c"},
        EditCase{"RemoveFirstPullsNextUp", "a,\n    b", true, 0, 0, 0, "", "b"},
        EditCase{"RemoveNoSpaces", "a,permit,c", false, 1, 1, 0, "", "a,c"},
        EditCase{"InsertFront", "b, c", true, -1, -1, 0, "a", "a, b, c"},
        EditCase{"InsertEnd", "a, b", true, -1, -1, 2, "c", "a, b, c"},
        EditCase{"InsertIntoEmpty", "", true, -1, -1, 0, "reject", "reject"},
        EditCase{"InsertIntoSingle", "a", true, -1, -1, 1, "b", "a, b"},
        EditCase{"InsertSpaceSeparated", "a b", true, -1, -1, 2, "c", "a b c"},
        EditCase{"InsertMultiLineEnd", kMultiLine, true, -1, -1, 3, "check_x cidr:/y",
                 "permit_mynetworks,\n    permit,\n    reject_unauth_destination,\n"
                 "    check_x cidr:/y"},
        EditCase{"InsertMultiLineMiddle", kMultiLine, true, -1, -1, 1, "x",
                 "permit_mynetworks,\n    x,\n    permit,\n    reject_unauth_destination"},
        EditCase{"InsertCrlfKeepsCrlf", "a,\r\n    b", true, -1, -1, 2, "c",
                 "a,\r\n    b,\r\n    c"},
        EditCase{"InsertNoSpacesUsesCommas", "a,b", false, -1, -1, 2, "check_x cidr:/y",
                 "a,b,check_x,cidr:/y"},
        EditCase{"InsertNoSpacesSingle", "a", false, -1, -1, 1, "b", "a,b"},
        EditCase{"InsertSeparatorFromCommentedList", "a,\n  # note\n  b", true, -1, -1, 2, "c",
                 "a,\n  # note\n  b,\n  c"},
        EditCase{"Replace", kMultiLine, true, -2, -1, 2, "defer",
                 "permit_mynetworks,\n    permit,\n    defer"}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace relayguard::agent::postfix
