#include "agent/mta/exim/exim_config_text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace relayguard::agent::exim {
namespace {

using Strings = std::vector<std::string>;

ConfigText ParseOk(const std::string& text) {
  absl::StatusOr<ConfigText> parsed = ConfigText::Parse(text, "test.conf");
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *std::move(parsed) : *ConfigText::Parse("", "test.conf");
}

Strings LogicalTexts(const ConfigText& text) {
  Strings out;
  for (const LogicalLine& l : text.logical()) out.push_back(l.text);
  return out;
}

struct JoinCase {
  std::string name;
  std::string text;
  Strings logical;
};

class ConfigTextJoinTest : public ::testing::TestWithParam<JoinCase> {};

TEST_P(ConfigTextJoinTest, JoinsLogicalLinesAsEximDoes) {
  EXPECT_EQ(LogicalTexts(ParseOk(GetParam().text)), GetParam().logical);
}

INSTANTIATE_TEST_SUITE_P(
    Texts, ConfigTextJoinTest,
    ::testing::Values(
        JoinCase{"Empty", "", {}},
        JoinCase{"CommentsAndBlanks", "# c\n\n   # indented comment\n\t\n", {}},
        JoinCase{"TrimsWhiteSpace", "  a = 1  \n", {"a = 1"}},
        JoinCase{"HashInsideIsNotAComment", "a = x#y # z\n", {"a = x#y # z"}},
        // spec 6.2: trailing white space after the backslash and leading white space of the
        // continuation are ignored; the space before the backslash stays.
        JoinCase{"Continuation", "a = b \\  \n    c\n", {"a = b c"}},
        JoinCase{"ContinuationWithoutSpace",
                 "trusted_users = uucp:\\\n   mail\n",
                 {"trusted_users = uucp:mail"}},
        JoinCase{"CommentInsideContinuation",
                 "a = 1 : \\\n# note\n  2\nb = 3\n",
                 {"a = 1 : 2", "b = 3"}},
        JoinCase{"BlankLineEndsContinuation", "a = 1 \\\n\nb = 2\n", {"a = 1", "b = 2"}},
        JoinCase{"ContinuationAtEof", "a = 1 \\", {"a = 1"}},
        JoinCase{"Crlf", "a = 1 \\\r\n  2\r\nb = 3\r\n", {"a = 1 2", "b = 3"}},
        JoinCase{"DirectivesAreNotLogicalLines", ".ifdef X\na = 1\n.endif\n", {"a = 1"}},
        JoinCase{"IncludeIsADirective", ".include /etc/exim4/x\n  .include_if_exists /y\n", {}},
        JoinCase{"DotWordIsText", ".ifdefX\n", {".ifdefX"}}),
    [](const auto& info) { return info.param.name; });

TEST(ConfigTextTest, ClassifiesLinesAndTracksBranches) {
  ConfigText text = ParseOk(
      "a = 1\n"            // 0
      ".ifdef X\n"         // 1
      "b = 2\n"            // 2
      "  .ifndef Y\n"      // 3
      "c = 3\n"            // 4
      "  .else\n"          // 5
      "d = 4\n"            // 6
      "  .endif\n"         // 7
      ".elifdef Z\n"       // 8
      "e = 5\n"            // 9
      ".endif trailing\n"  // 10
      "f = 6\n");          // 11
  const std::vector<PhysicalLine>& l = text.lines();
  ASSERT_EQ(l.size(), 12u);
  EXPECT_EQ(l[1].kind, LineKind::kIf);
  EXPECT_EQ(l[3].kind, LineKind::kIf);
  EXPECT_EQ(l[5].kind, LineKind::kElse);
  EXPECT_EQ(l[8].kind, LineKind::kElse);
  EXPECT_EQ(l[10].kind, LineKind::kEndif);
  EXPECT_EQ(l[0].branch, kTopLevel);
  EXPECT_EQ(l[1].branch, kTopLevel);
  EXPECT_EQ(l[2].branch, 1u);
  EXPECT_EQ(l[4].branch, 3u);
  EXPECT_EQ(l[6].branch, 5u);
  EXPECT_EQ(l[5].block, 3u);
  EXPECT_EQ(l[7].branch, 1u);
  EXPECT_EQ(l[9].branch, 8u);
  EXPECT_EQ(l[10].block, 1u);
  EXPECT_EQ(l[11].branch, kTopLevel);
  EXPECT_TRUE(text.InBranch(4, 1));  // nested
  EXPECT_TRUE(text.InBranch(4, kTopLevel));
  EXPECT_FALSE(text.InBranch(6, 3));  // .else branch is not the .ifndef branch
  EXPECT_FALSE(text.InBranch(9, 1));  // .elifdef branch is a sibling of the .ifdef branch
  EXPECT_FALSE(text.InBranch(11, 1));
  EXPECT_EQ(text.BranchAfter(1), 1u);
  EXPECT_EQ(text.BranchAfter(7), 1u);
  EXPECT_EQ(text.BranchAfter(10), kTopLevel);
}

TEST(ConfigTextTest, AssignsSections) {
  ConfigText text =
      ParseOk("a = 1\nbegin acl\nx:\n  accept\nBEGIN Routers\nr:\n  driver = accept\n");
  std::vector<std::string> sections;
  for (const LogicalLine& l : text.logical()) sections.push_back(l.section);
  EXPECT_EQ(sections, (Strings{"", "acl", "acl", "acl", "routers", "routers", "routers"}));
  EXPECT_TRUE(text.logical()[1].is_begin);
  EXPECT_TRUE(text.has_sections());
  EXPECT_FALSE(ParseOk("x:\n  accept\n").has_sections());
}

TEST(ConfigTextTest, MarksLogicalLinesSplitByADirective) {
  ConfigText text = ParseOk("a = 1 : \\\n.ifdef X\n  2\n.endif\n");
  ASSERT_EQ(text.logical().size(), 1u);
  EXPECT_TRUE(text.logical()[0].split_by_directive);
  EXPECT_EQ(text.logical()[0].last, 2u);
}

TEST(ConfigTextTest, FindsMacroDefinitions) {
  ConfigText text =
      ParseOk("MAIN_X = a : b\nlower = c\nMAC == d\nNOT_A_MACRO\nAbc=e\nbegin acl\nACL_M = f\n");
  std::vector<std::string> found;
  for (const MacroDefinition& m : text.Macros()) found.push_back(m.name + "=" + m.value);
  EXPECT_EQ(found, (Strings{"MAIN_X=a : b", "MAC=d", "Abc=e", "ACL_M=f"}));
}

TEST(ConfigTextTest, ReadsNamesLikeReadconf) {
  EXPECT_EQ(ReadName("acl_check_rcpt:"), "acl_check_rcpt");
  EXPECT_EQ(ReadName("a1_b = c"), "a1_b");
  EXPECT_EQ(ReadName("1abc"), "");
  EXPECT_EQ(ReadName("_abc"), "");
  EXPECT_EQ(ReadName(""), "");
}

struct ErrorCase {
  std::string name;
  std::string text;
  std::string message;
};

class ConfigTextErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigTextErrorTest, RefusesUnbalancedConditionals) {
  absl::StatusOr<ConfigText> parsed = ConfigText::Parse(GetParam().text, "x.conf");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Texts, ConfigTextErrorTest,
    ::testing::Values(ErrorCase{"EndifAlone", "a = 1\n.endif\n",
                                "x.conf:2: \".endif\" without a matching .ifdef"},
                      ErrorCase{"ElseAlone", ".else\n",
                                "x.conf:1: \".else\" without a matching .ifdef"},
                      ErrorCase{"Unterminated", ".ifdef A\n.ifdef B\n.endif\n",
                                "x.conf:1: \".ifdef A\" has no matching .endif"}),
    [](const auto& info) { return info.param.name; });

struct RenderCase {
  std::string name;
  std::string text;
};

class TextEditorRoundTripTest : public ::testing::TestWithParam<RenderCase> {};

TEST_P(TextEditorRoundTripTest, RendersUntouchedTextByteForByte) {
  ConfigText text = ParseOk(GetParam().text);
  TextEditor editor(text);
  EXPECT_FALSE(editor.changed());
  EXPECT_EQ(editor.Render(), GetParam().text);
}

INSTANTIATE_TEST_SUITE_P(Texts, TextEditorRoundTripTest,
                         ::testing::Values(RenderCase{"Empty", ""}, RenderCase{"OnlyNewline", "\n"},
                                           RenderCase{"Crlf", "a = 1\r\nb = 2\r\n"},
                                           RenderCase{"MixedEndings", "a = 1\r\nb = 2\n\r\n"},
                                           RenderCase{"LoneCarriageReturn", "a = 1\r"},
                                           RenderCase{"NoFinalNewline", "a = 1\nb = 2"},
                                           RenderCase{"Nul", std::string("a = \0x\n", 7)},
                                           RenderCase{"Utf8", "# \xc3\xa9t\xc3\xa9\n"}),
                         [](const auto& info) { return info.param.name; });

TEST(TextEditorTest, InsertsReplacesAndRemoves) {
  ConfigText text = ParseOk("a\nb\nc\n");
  TextEditor editor(text);
  editor.InsertBefore(0, "first");
  editor.Replace(1, "B");
  editor.Remove(2);
  editor.InsertBefore(3, "end1");
  editor.InsertBefore(3, "end2");
  EXPECT_TRUE(editor.changed());
  EXPECT_EQ(editor.Render(), "first\na\nB\nend1\nend2\n");
}

TEST(TextEditorTest, NewLinesTakeTheFileEnding) {
  ConfigText text = ParseOk("a\r\nb\r\n");
  TextEditor editor(text);
  editor.InsertBefore(1, "x");
  editor.InsertBefore(2, "y");
  EXPECT_EQ(editor.Render(), "a\r\nx\r\nb\r\ny\r\n");
}

TEST(TextEditorTest, KeepsAMissingFinalNewlineMissing) {
  ConfigText text = ParseOk("a\nb");
  {
    TextEditor editor(text);
    editor.InsertBefore(2, "c");
    EXPECT_EQ(editor.Render(), "a\nb\nc");
  }
  {
    TextEditor editor(text);
    editor.Remove(1);
    EXPECT_EQ(editor.Render(), "a");
  }
  {
    TextEditor editor(text);
    editor.Replace(1, "B");
    EXPECT_EQ(editor.Render(), "a\nB");
  }
}

TEST(TextEditorTest, InsertingIntoAnEmptyFileEndsWithANewline) {
  ConfigText text = ParseOk("");
  TextEditor editor(text);
  editor.InsertBefore(0, "x");
  EXPECT_EQ(editor.Render(), "x\n");
}

// A line left continued ('\\' with nothing after it) would take a line inserted after it into its
// value: a blank line goes first (the exim_conf fuzz target found it, fuzz/regressions/exim_conf/).
TEST(TextEditorTest, AnInsertedLineIsNotJoinedOntoADanglingContinuation) {
  {
    ConfigText text = ParseOk("a = 1 \\");
    TextEditor editor(text);
    editor.InsertBefore(1, "b = 2");
    EXPECT_EQ(editor.Render(), "a = 1 \\\n\nb = 2");
    ConfigText back = ParseOk(editor.Render());
    ASSERT_EQ(back.logical().size(), 2u);
    EXPECT_EQ(back.logical()[1].text, "b = 2");
  }
  {
    // Before the blank line that ends it, and past a comment inside it.
    ConfigText text = ParseOk("a = 1 \\\n# note\n\nc = 3\n");
    TextEditor editor(text);
    editor.InsertBefore(2, "b = 2");
    EXPECT_EQ(editor.Render(), "a = 1 \\\n# note\n\nb = 2\n\nc = 3\n");
  }
  {
    // A continued line that continues onto a line of the file is left alone, and so are
    // insertions that continue each other.
    ConfigText text = ParseOk("a = 1 \\\n  2\n");
    TextEditor editor(text);
    editor.InsertBefore(2, "b = x \\");
    editor.InsertBefore(2, "  y");
    EXPECT_EQ(editor.Render(), "a = 1 \\\n  2\nb = x \\\n  y\n");
  }
}

TEST(TextEditorTest, ReplacingWithTheSameContentIsNoChange) {
  ConfigText text = ParseOk("a\n");
  TextEditor editor(text);
  editor.Replace(0, "a");
  EXPECT_FALSE(editor.changed());
}

}  // namespace
}  // namespace relayguard::agent::exim
