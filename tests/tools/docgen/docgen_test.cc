// tools/docgen's pure parts: roff escaping, footers split into notes and exit codes, and the
// commented configuration files read into keys, comments and examples.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tools/docgen/command_doc.h"
#include "tools/docgen/config_man_page.h"
#include "tools/docgen/roff.h"

namespace relayguard::docgen {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(RoffTest, EscapesWhatRoffWouldInterpret) {
  struct Case {
    std::string in, out;
  } cases[] = {
      {"--state-dir", "\\-\\-state\\-dir"},
      {"C:\\dir", "C:\\edir"},
      {".starts with a dot", "\\&.starts with a dot"},
      {"'quote first", "\\&'quote first"},
      {"line\n.dot", "line\n\\&.dot"},
      {"a.b 'c'", "a.b 'c'"},
      {"caf\xC3\xA9", "caf\\[u00E9]"},
  };
  for (const Case& c : cases) EXPECT_EQ(Roff(c.in), c.out) << c.in;
  EXPECT_EQ(RoffArg("say \"hi\""), "\"say \\(dqhi\\(dq\"");
}

TEST(SplitFooterTest, NotesAndExitCodes) {
  const FooterParts parts = SplitFooter(
      "Connection: --controller HOST:PORT.\n"
      "exit codes: 0 ok, 1 usage, 4 (compliance, scan) some host drifts,\n"
      "  an open relay or an error, 5 otherwise\n");
  EXPECT_EQ(parts.notes, "Connection: --controller HOST:PORT.");
  EXPECT_THAT(
      parts.exit_codes,
      ElementsAre(Pair("0", "ok"), Pair("1", "usage"),
                  Pair("4", "(compliance, scan) some host drifts, an open relay or an error"),
                  Pair("5", "otherwise")));
  EXPECT_EQ(parts.exit_codes_text,
            "0 ok, 1 usage, 4 (compliance, scan) some host drifts, an open relay or an error, 5 "
            "otherwise");
  EXPECT_TRUE(SplitFooter("only a note\n").exit_codes.empty());
  EXPECT_EQ(SplitFooter("only a note\n").notes, "only a note");
}

constexpr char kConfig[] =
    "# /etc/x/x.yaml: the configuration of x.\n"
    "#\n"
    "# Intro line one\n"
    "# continues.\n"
    "#\n"
    "# Second paragraph.\n"
    "\n"
    "# --- First part ---------------------\n"
    "\n"
    "# Where it goes: a path; the\n"
    "# directory: give an absolute one.\n"
    "dir: /var/x\n"
    "\n"
    "# Certificates.\n"
    "# ca: /etc/x/ca.crt\n"
    "# cert: /etc/x/x.crt\n"
    "\n"
    "# --- Second part ---\n"
    "\n"
    "# Labels.\n"
    "labels: {}\n"
    "# labels:\n"
    "#   site: fra1\n"
    "\n"
    "# A list set here.\n"
    "ports:\n"
    "  - 25\n"
    "  - 587\n";

TEST(ParseCommentedConfigTest, KeysCommentsExamplesAndHeadings) {
  absl::StatusOr<ConfigDoc> doc = ParseCommentedConfig(kConfig, "x.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->path, "/etc/x/x.yaml");
  EXPECT_EQ(doc->summary, "the configuration of x");
  EXPECT_THAT(doc->description, ElementsAre("Intro line one continues.", "Second paragraph."));
  ASSERT_EQ(doc->sections.size(), 3u);  // before the first heading (empty), and the two
  EXPECT_TRUE(doc->sections[0].entries.empty());
  EXPECT_EQ(doc->sections[1].title, "First part");
  EXPECT_EQ(doc->sections[2].title, "Second part");

  const ConfigEntry& dir = doc->sections[1].entries[0];
  ASSERT_EQ(dir.keys.size(), 1u);  // "# directory: give ..." is prose, not a key
  EXPECT_EQ(dir.keys[0].key, "dir");
  EXPECT_EQ(dir.keys[0].value, "/var/x");
  EXPECT_TRUE(dir.keys[0].set);
  EXPECT_THAT(dir.text, ElementsAre("Where it goes: a path; the directory: give an absolute one."));

  const ConfigEntry& certs = doc->sections[1].entries[1];
  ASSERT_EQ(certs.keys.size(), 2u);
  EXPECT_EQ(certs.keys[0].key, "ca");
  EXPECT_FALSE(certs.keys[0].set);
  EXPECT_EQ(certs.keys[1].value, "/etc/x/x.crt");

  const ConfigEntry& labels = doc->sections[2].entries[0];
  EXPECT_EQ(labels.keys[0].value, "{}");
  EXPECT_THAT(labels.example, ElementsAre("labels:", "  site: fra1"));
  const ConfigEntry& ports = doc->sections[2].entries[1];
  EXPECT_EQ(ports.keys[0].key, "ports");
  EXPECT_THAT(ports.example, ElementsAre("  - 25", "  - 587"));
}

TEST(ParseCommentedConfigTest, OnlyTheSchemasKeysAreCommentedOutKeys) {
  const std::string text =
      "# /etc/x.yaml: x\n\n# note: this is prose\n# ca: /x\n# name: \"a b\"\nkey: 1\n";
  absl::StatusOr<ConfigDoc> any = ParseCommentedConfig(text, "x.yaml");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->sections[0].entries[0].keys.size(), 3u);  // ca, name (quoted) and key
  absl::StatusOr<ConfigDoc> schema = ParseCommentedConfig(text, "x.yaml", {"ca", "name", "key"});
  ASSERT_TRUE(schema.ok());
  const ConfigEntry& e = schema->sections[0].entries[0];
  ASSERT_EQ(e.keys.size(), 3u);
  EXPECT_EQ(e.keys[0].key, "ca");
  EXPECT_EQ(e.keys[1].value, "\"a b\"");
  EXPECT_THAT(e.text, ElementsAre("note: this is prose"));
}

TEST(ParseCommentedConfigTest, RefusesWhatItCannotPlace) {
  absl::StatusOr<ConfigDoc> no_title = ParseCommentedConfig("key: 1\n", "x.yaml");
  EXPECT_THAT(no_title.status().message(), HasSubstr("x.yaml:1: the first line must be"));
  absl::StatusOr<ConfigDoc> stray =
      ParseCommentedConfig("# /x.yaml: x\n\nKey With Spaces\n", "x.yaml");
  EXPECT_THAT(stray.status().message(), HasSubstr("x.yaml:3: neither a comment, a key nor"));
}

TEST(ConfigManPageTest, TagsKeysWithTheirDefaultOrExample) {
  absl::StatusOr<ConfigDoc> doc = ParseCommentedConfig(kConfig, "x.yaml");
  ASSERT_TRUE(doc.ok());
  ManPageInfo info;
  info.section = "5";
  info.source = "relayguard 9";
  info.manual = "relayguard";
  info.see_also = {"x(8)"};
  const std::string page = ConfigManPage(*doc, "x.yaml", info);
  EXPECT_THAT(page, HasSubstr(".TH \"X.YAML\" 5 \"\" \"relayguard 9\" \"relayguard\"\n"));
  EXPECT_THAT(page, HasSubstr(".SH NAME\nx.yaml \\- the configuration of x\n"));
  EXPECT_THAT(page, HasSubstr(".SS \"First part\"\n.TP\n\\fBdir:\\fR /var/x\n"));
  EXPECT_THAT(page, HasSubstr(".TP\n\\fBca:\\fR \\fI/etc/x/ca.crt\\fR (an example: not set by "
                              "default)\n.TQ\n\\fBcert:\\fR"));
  EXPECT_THAT(page, HasSubstr(".EX\nlabels:\n  site: fra1\n.EE\n"));
  EXPECT_THAT(page, HasSubstr(".SH \"SEE ALSO\"\n.BR \"x\" \"(8)\"\n"));
}

}  // namespace
}  // namespace relayguard::docgen
