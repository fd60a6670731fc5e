// relayguardctl's generated bash completion, run by bash without the bash-completion package:
// COMP_WORDS/COMP_CWORD set as bash sets them, _relayguardctl called, COMPREPLY read.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/tools/docgen/docgen_test_util.h"

namespace relayguard::docgen {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAreArray;

const std::string kScript = kDocsDir + "/completions/relayguardctl";

// What the completion offers for `words` (the last one is the word being completed).
std::vector<std::string> Complete(const std::vector<std::string>& words) {
  std::vector<std::string> argv = {
      "/bin/bash",
      "--norc",
      "--noprofile",
      "-c",
      "source \"$0\" || exit 9; COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); "
      "COMP_LINE=\"$*\"; COMP_POINT=${#COMP_LINE}; _relayguardctl || exit 8; "
      "printf '%s\\n' \"${COMPREPLY[@]}\"",
      kScript};
  argv.insert(argv.end(), words.begin(), words.end());
  const agent::ProcessResult result = RunProgram(argv);
  EXPECT_EQ(result.exit_code, 0) << absl::StrJoin(words, " ") << ": " << result.stderr_text;
  EXPECT_EQ(result.stderr_text, "") << absl::StrJoin(words, " ");
  std::vector<std::string> offered;
  for (absl::string_view line : absl::StrSplit(result.stdout_text, '\n', absl::SkipEmpty())) {
    offered.push_back(std::string(line));
  }
  std::sort(offered.begin(), offered.end());
  return offered;
}

TEST(RelayguardctlCompletion, CommandsByPrefix) {
  EXPECT_THAT(Complete({"relayguardctl", "roll"}), ElementsAre("rollback", "rollout"));
  EXPECT_THAT(Complete({"relayguardctl", "sc"}), ElementsAre("scan"));
}

TEST(RelayguardctlCompletion, NestedCommands) {
  EXPECT_THAT(Complete({"relayguardctl", "rollout", ""}),
              ElementsAre("abort", "list", "pause", "resume", "start", "status"));
  EXPECT_THAT(Complete({"relayguardctl", "rollout", "s"}), ElementsAre("start", "status"));
  EXPECT_THAT(Complete({"relayguardctl", "playbooks", ""}), ElementsAre("reload"));
}

TEST(RelayguardctlCompletion, OptionsOfTheCommand) {
  EXPECT_THAT(Complete({"relayguardctl", "rollout", "start", "--la"}), ElementsAre("--label"));
  EXPECT_THAT(Complete({"relayguardctl", "rollout", "start", "--w"}),
              ElementsAre("--wait", "--waves"));
  // scan's --csv is not an option of rollout start.
  EXPECT_THAT(Complete({"relayguardctl", "rollout", "start", "--cs"}), ElementsAre());
  EXPECT_THAT(Complete({"relayguardctl", "scan", "--cs"}), ElementsAre("--csv"));
}

TEST(RelayguardctlCompletion, TopLevelOptionsAlsoAfterTheCommand) {
  EXPECT_THAT(
      Complete({"relayguardctl", "--"}),
      ElementsAre("--ca", "--cert", "--controller", "--help", "--insecure", "--key", "--version"));
  EXPECT_THAT(Complete({"relayguardctl", "hosts", "--con"}), ElementsAre("--controller"));
}

TEST(RelayguardctlCompletion, OptionValuesAreSkippedWhenFindingTheCommand) {
  // "rollout" is --controller's value here, not the command.
  EXPECT_THAT(Complete({"relayguardctl", "--controller", "rollout", "s"}), ElementsAre("scan"));
  EXPECT_THAT(Complete({"relayguardctl", "--controller", "h:1", "rollout", "p"}),
              ElementsAre("pause"));
}

TEST(RelayguardctlCompletion, ChoicesOfAChoiceOption) {
  EXPECT_THAT(Complete({"relayguardctl", "scan", "--starttls", ""}),
              ElementsAre("both", "off", "when-offered"));
  EXPECT_THAT(Complete({"relayguardctl", "scan", "--starttls", "w"}), ElementsAre("when-offered"));
  // "--starttls=w" as bash splits it (COMP_WORDBREAKS has '=').
  EXPECT_THAT(Complete({"relayguardctl", "scan", "--starttls", "=", "o"}), ElementsAre("off"));
}

TEST(RelayguardctlCompletion, FilesForPathOptions) {
  const std::string dir = ::testing::TempDir() + "/completion-files";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/operator.crt") << "x";
  std::ofstream(dir + "/operator.key") << "x";
  EXPECT_THAT(Complete({"relayguardctl", "--cert", dir + "/operator.c"}),
              ElementsAre(dir + "/operator.crt"));
  EXPECT_THAT(Complete({"relayguardctl", "hosts", "--key", dir + "/op"}),
              ElementsAre(dir + "/operator.crt", dir + "/operator.key"));
  // A value that is not a path offers nothing (not the commands).
  EXPECT_THAT(Complete({"relayguardctl", "--controller", ""}), ElementsAre());
}

// The completion offers exactly the commands `relayguardctl --help` lists.
TEST(RelayguardctlCompletion, CommandsAreTheOnesHelpLists) {
  const agent::ProcessResult help =
      RunProgram({std::string(RG_BINARY_DIR) + "/controller/relayguardctl", "--help"});
  ASSERT_EQ(help.exit_code, 0);
  std::vector<std::string> listed;
  const std::string text = help.stdout_text;
  const size_t start = text.find("\nSubcommands:\n");
  ASSERT_NE(start, std::string::npos);
  for (absl::string_view line : absl::StrSplit(text.substr(start + 14), '\n')) {
    if (line.substr(0, 2) != "  " || line.size() < 3 || line[2] == ' ') break;
    listed.push_back(std::string(line.substr(2, line.find(' ', 2) - 2)));
  }
  EXPECT_GT(listed.size(), 5u);
  EXPECT_THAT(Complete({"relayguardctl", ""}), UnorderedElementsAreArray(listed));
}

}  // namespace
}  // namespace relayguard::docgen
