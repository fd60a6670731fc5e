// The generated man pages against the real programs: every command and every option that
// `PROGRAM [COMMAND...] --help` prints is in the page, in that command's section; groff renders
// every page without a warning; the section 5 pages list every key of the shipped files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/cli/agent_flags.h"
#include "common/command_line.h"
#include "controller/config/controller_config.h"
#include "tests/tools/docgen/docgen_test_util.h"

namespace relayguard::docgen {
namespace {

using ::testing::HasSubstr;

// What one --help prints: the description (its first line), options, positionals, commands.
struct Help {
  std::string description;
  std::vector<std::string> options;  // "--hosts", "--host", "-h", "--help"
  std::vector<std::string> positionals;
  std::vector<std::string> commands;
};

Help ParseHelp(const std::string& text) {
  Help help;
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  help.description = lines.front();
  std::string heading;
  const std::regex entry("^  ([^ ]+)( .*)?$");
  for (const std::string& line : lines) {
    std::smatch m;
    if (line.empty()) {
      heading.clear();  // the footer follows the last list
    } else if (line[0] != ' ' && line.back() == ':') {
      heading = line;
    } else if (std::regex_match(line, m, entry)) {
      const std::string first = m[1].str();
      if (heading == "Options:") {
        for (absl::string_view name : absl::StrSplit(first, ',')) {
          help.options.push_back(std::string(name));
        }
      } else if (heading == "Positionals:") {
        help.positionals.push_back(first);
      } else if (heading == "Subcommands:") {
        help.commands.push_back(first);
      }
    }
  }
  return help;
}

// The lines from `heading` (".SS \"rollout start\"", ".SH OPTIONS") to the next heading.
std::string Section(const std::string& page, const std::string& heading) {
  const size_t start = page.find("\n" + heading + "\n");
  if (start == std::string::npos) return "";
  const size_t body = start + heading.size() + 2;
  size_t end = page.size();
  for (const char* next : {"\n.SS ", "\n.SH "}) end = std::min(end, page.find(next, body));
  return page.substr(body, end - body);
}

bool MentionsWord(const std::string& text, const std::string& word) {
  const std::regex escaped(R"([.^$|()\[\]{}*+?\\])");
  const std::string quoted = std::regex_replace(word, escaped, R"(\$&)");
  return std::regex_search(text, std::regex("(^|[\\s,\\[])" + quoted + "($|[\\s,.\\]])"));
}

std::string Collapse(const std::string& text) {
  return std::regex_replace(std::string(absl::StripAsciiWhitespace(text)), std::regex("\\s+"), " ");
}

struct Program {
  std::string binary;  // under the build directory
  std::string name;
};

class ManPageTest : public ::testing::TestWithParam<Program> {
 protected:
  std::string Binary() const { return std::string(RG_BINARY_DIR) + "/" + GetParam().binary; }
  std::string Page() const {
    return PlainRoff(ReadFile(kDocsDir + "/man8/" + GetParam().name + ".8"));
  }

  // Checks `command` (the words after the program) and, recursively, its commands.
  void CheckCommand(const std::string& page, const std::vector<std::string>& command,
                    int& checked) {
    std::vector<std::string> argv = {Binary()};
    argv.insert(argv.end(), command.begin(), command.end());
    argv.push_back("--help");
    const agent::ProcessResult result = RunProgram(argv);
    ASSERT_EQ(result.exit_code, 0) << absl::StrJoin(argv, " ") << ": " << result.stderr_text;
    const Help help = ParseHelp(result.stdout_text);
    const std::string path = absl::StrJoin(command, " ");
    const std::string section =
        command.empty() ? Section(page, ".SH OPTIONS") : Section(page, ".SS \"" + path + "\"");
    ASSERT_FALSE(section.empty()) << GetParam().name << ": no section for \"" << path << "\"";
    if (!command.empty()) {
      EXPECT_THAT(Collapse(section), HasSubstr(Collapse(help.description))) << path;
    }
    for (const std::string& option : help.options) {
      // Every command takes --help; the page lists it with the program's options.
      const bool help_option = option == "-h" || option == "--help";
      const std::string& where =
          help_option && !command.empty() ? Section(page, ".SH OPTIONS") : section;
      EXPECT_TRUE(MentionsWord(where, option))
          << GetParam().name << " " << path << " --help prints " << option
          << "; its man page section does not list it";
      ++checked;
    }
    for (const std::string& positional : help.positionals) {
      EXPECT_TRUE(MentionsWord(section, positional)) << path << ": " << positional;
      ++checked;
    }
    for (const std::string& sub : help.commands) {
      std::vector<std::string> deeper = command;
      deeper.push_back(sub);
      CheckCommand(page, deeper, checked);
    }
  }
};

TEST_P(ManPageTest, ListsEveryCommandAndOptionThatHelpPrints) {
  const std::string page = Page();
  ASSERT_FALSE(page.empty()) << "no man page for " << GetParam().name;
  int checked = 0;
  CheckCommand(page, {}, checked);
  EXPECT_GT(checked, 10);
}

TEST_P(ManPageTest, HasTheSectionsOfAProgramPage) {
  const std::string page = Page();
  for (const char* heading : {".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS",
                              ".SH COMMANDS", ".SH \"EXIT STATUS\"", ".SH \"SEE ALSO\""}) {
    EXPECT_THAT(page, HasSubstr("\n" + std::string(heading) + "\n")) << GetParam().name;
  }
  EXPECT_THAT(page, HasSubstr(".TH \"" + absl::AsciiStrToUpper(GetParam().name) + "\" 8 "));
  // NAME as whatis(1) reads it: "NAME \- description".
  EXPECT_THAT(
      PlainRoff(Section(ReadFile(kDocsDir + "/man8/" + GetParam().name + ".8"), ".SH NAME")),
      ::testing::StartsWith(GetParam().name + " - "));
}

TEST_P(ManPageTest, ExitStatusListsTheCodesTheProgramPrints) {
  const agent::ProcessResult help = RunProgram({Binary(), "--help"});
  const std::string text = Collapse(help.stdout_text);
  const size_t at = text.find("exit codes: ");
  ASSERT_NE(at, std::string::npos) << help.stdout_text;
  const std::string status = Collapse(Section(Page(), ".SH \"EXIT STATUS\""));
  const std::string codes = text.substr(at + 12);
  const std::regex code("(^|, )([0-9]+) ");
  int listed = 0;
  for (std::sregex_iterator i(codes.begin(), codes.end(), code), end; i != end; ++i, ++listed) {
    EXPECT_THAT(status, HasSubstr(".TP .B " + (*i)[2].str() + " ")) << GetParam().name;
  }
  EXPECT_GE(listed, 3) << codes;
}

void PrintTo(const Program& p, std::ostream* os) { *os << p.name; }

INSTANTIATE_TEST_SUITE_P(Programs, ManPageTest,
                         ::testing::Values(Program{"agent/relayguard-agent", "relayguard-agent"},
                                           Program{"controller/relayguard-controller",
                                                   "relayguard-controller"},
                                           Program{"controller/relayguardctl", "relayguardctl"}),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// groff (as man(1) and lintian run it) formats every page without a warning.
TEST(ManPagesRender, EveryPageWithoutWarnings) {
  const std::vector<std::string> pages = {"man8/relayguard-agent.8", "man8/relayguard-controller.8",
                                          "man8/relayguardctl.8", "man5/relayguard-agent.yaml.5",
                                          "man5/relayguard-controller.yaml.5"};
  for (const std::string& page : pages) {
    const std::string path = kDocsDir + "/" + page;
    agent::ProcessResult groff = RunProgram(
        {"/usr/bin/env", "LC_ALL=C.UTF-8", "/usr/bin/groff", "-man", "-ww", "-z", "-Tutf8", path});
    EXPECT_EQ(groff.exit_code, 0) << page;
    EXPECT_EQ(groff.stderr_text, "") << page;
    for (const char* width : {"MANWIDTH=80", "MANWIDTH=120"}) {
      agent::ProcessResult man =
          RunProgram({"/usr/bin/env", "LC_ALL=C.UTF-8", width, "/usr/bin/man", "--warnings", "-E",
                      "UTF-8", "-l", "-Tutf8", path});
      EXPECT_EQ(man.exit_code, 0) << page << " " << width << ": " << man.stderr_text;
      EXPECT_EQ(man.stderr_text, "") << page << " " << width;
      // The footer line, which man prints without overstriking.
      EXPECT_THAT(man.stdout_text, HasSubstr(VersionText("relayguard"))) << page;
    }
  }
}

// The keys of a section 5 page: its tag lines ("key: value" at the start of a line).
std::set<std::string> PageKeys(const std::string& page) {
  std::set<std::string> keys;
  const std::regex tag("\n\\.T[PQ]\n([a-z][a-z0-9_]*):");
  for (std::sregex_iterator i(page.begin(), page.end(), tag), end; i != end; ++i) {
    keys.insert((*i)[1].str());
  }
  return keys;
}

// The keys of a shipped file: set ("key: value") or commented out ("# key: value").
std::set<std::string> ShippedKeys(const std::string& yaml) {
  std::set<std::string> keys;
  const std::regex key("(^|\n)(# )?([a-z][a-z0-9_]*):( [^ \n]+)?\n");
  for (std::sregex_iterator i(yaml.begin(), yaml.end(), key), end; i != end; ++i) {
    keys.insert((*i)[3].str());
  }
  return keys;
}

void CheckConfigPage(const std::string& page_name, const std::string& shipped,
                     const ConfigSchema& schema) {
  const std::string page = PlainRoff(ReadFile(kDocsDir + "/man5/" + page_name + ".5"));
  ASSERT_FALSE(page.empty()) << page_name;
  const std::string yaml = ReadFile(std::string(RG_SOURCE_DIR) + "/deploy/etc/" + shipped);
  const std::set<std::string> listed = PageKeys(page);
  for (const std::string& key : ShippedKeys(yaml)) {
    EXPECT_TRUE(listed.count(key)) << page_name << " does not list " << key << " of " << shipped;
  }
  for (const ConfigSchema::Setting& s : schema.settings()) {
    EXPECT_TRUE(listed.count(s.key)) << page_name << " does not list the setting " << s.key;
  }
  // The file's headings are the page's subsections.
  const std::regex heading("\n# ---+ (.*[^ -]) -*\n");
  for (std::sregex_iterator i(yaml.begin(), yaml.end(), heading), end; i != end; ++i) {
    EXPECT_THAT(page, HasSubstr("\n.SS \"" + (*i)[1].str() + "\"\n")) << page_name;
  }
  EXPECT_THAT(page, HasSubstr(".TH \"" + absl::AsciiStrToUpper(page_name) + "\" 5 "));
}

TEST(ConfigManPages, AgentPageListsEveryKeyOfTheShippedFile) {
  agent::AgentFlags flags;
  CheckConfigPage("relayguard-agent.yaml", "agent.yaml", agent::AgentConfigSchema(flags));
}

TEST(ConfigManPages, ControllerPageListsEveryKeyOfTheShippedFile) {
  controller::ControllerConfig config;
  CheckConfigPage("relayguard-controller.yaml", "controller.yaml",
                  controller::ControllerConfigSchema(config));
}

}  // namespace
}  // namespace relayguard::docgen
