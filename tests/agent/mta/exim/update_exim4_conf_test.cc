#include "agent/mta/exim/update_exim4_conf.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/agent/mta/exim/exim_test_files.h"

namespace relayguard::agent::exim {
namespace {

using testing::Diff;
using testing::LineDiff;
using testing::ReadData;
using testing::Strings;

Cidr Net(const char* text) { return *ParseCidr(text); }

EximRelaySettings V4Settings() {
  return {{Net("127.0.0.1/32"), Net("192.0.2.0/24")}, {"relay.example.org"}};
}

EximRelaySettings V6Settings() {
  return {{Net("127.0.0.1/32"), Net("192.0.2.0/24"), Net("::1/128")},
          {"relay.example.org", "backup.example.net"}};
}

struct DebianListCase {
  std::string name;
  std::string value;
  Strings items;
};

class ParseDebianListTest : public ::testing::TestWithParam<DebianListCase> {};

TEST_P(ParseDebianListTest, ReadsListsAsUpdateExim4ConfTurnsThemIntoMacros) {
  EXPECT_EQ(ParseDebianList(GetParam().value), GetParam().items);
}

INSTANTIATE_TEST_SUITE_P(
    Values, ParseDebianListTest,
    ::testing::Values(
        DebianListCase{"Empty", "", {}},
        DebianListCase{
            "Semicolons", "192.0.2.0/24 ; 2001:db8::/32", {"192.0.2.0/24", "2001:db8::/32"}},
        DebianListCase{"SemicolonsWithoutSpaces",
                       "192.0.2.0/24;2001:db8::/32",
                       {"192.0.2.0/24", "2001:db8::/32"}},
        DebianListCase{"ExplicitSeparator", "<; 2001:db8::/32", {"2001:db8::/32"}},
        DebianListCase{"ColonsWithDoubledIpv6", "10.0.0.0/8 : ::::1", {"10.0.0.0/8", "::1"}},
        // Without ';' a lone IPv6 address is a colon list: this is why "<;" is needed then.
        DebianListCase{"LoneIpv6WithoutPrefixFallsApart", "2001:db8::1", {"2001", "db8:1"}},
        DebianListCase{"LeadingBlanks", "  10.0.0.0/8", {"10.0.0.0/8"}}),
    [](const auto& info) { return info.param.name; });

struct FormatCase {
  std::string name;
  Strings items;
  std::string text;
};

class FormatDebianListTest : public ::testing::TestWithParam<FormatCase> {};

TEST_P(FormatDebianListTest, FormatsSemicolonListsThatReadBack) {
  EXPECT_EQ(FormatDebianList(GetParam().items), GetParam().text);
  EXPECT_EQ(ParseDebianList(GetParam().text), GetParam().items);
}

INSTANTIATE_TEST_SUITE_P(
    Values, FormatDebianListTest,
    ::testing::Values(
        FormatCase{"Empty", {}, ""}, FormatCase{"One", {"192.0.2.0/24"}, "192.0.2.0/24"},
        FormatCase{"Several", {"127.0.0.1/32", "192.0.2.0/24"}, "127.0.0.1/32 ; 192.0.2.0/24"},
        FormatCase{"Ipv6AmongOthers", {"127.0.0.1/32", "::1/128"}, "127.0.0.1/32 ; ::1/128"},
        FormatCase{"LoneIpv6", {"2001:db8::/32"}, "<; 2001:db8::/32"},
        FormatCase{"Domains", {"a.example", "b.example"}, "a.example ; b.example"},
        // Found by the exim_lists fuzz target: a first item starting with '<' read back as a
        // separator change.
        FormatCase{"FirstItemStartsWithLessThan", {"<", "8", "8"}, "<; < ; 8 ; 8"}),
    [](const auto& info) { return info.param.name; });

struct EditCase {
  std::string name;
  std::string before;
  EximRelaySettings want;
  std::string after;
  Strings changed;
  size_t warnings = 0;
};

class EditUpdateExim4ConfTest : public ::testing::TestWithParam<EditCase> {};

TEST_P(EditUpdateExim4ConfTest, SetsOnlyTheRelayKeys) {
  const EditCase& c = GetParam();
  absl::StatusOr<EximEdit> edit = EditUpdateExim4Conf(c.before, c.want, "ue4c.conf");
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_EQ(edit->text, c.after);
  EXPECT_EQ(edit->changed, c.changed);
  EXPECT_EQ(edit->warnings.size(), c.warnings) << ::testing::PrintToString(edit->warnings);
}

TEST_P(EditUpdateExim4ConfTest, IsIdempotent) {
  absl::StatusOr<EximEdit> once = EditUpdateExim4Conf(GetParam().before, GetParam().want, "u");
  ASSERT_TRUE(once.ok()) << once.status();
  absl::StatusOr<EximEdit> twice = EditUpdateExim4Conf(once->text, GetParam().want, "u");
  ASSERT_TRUE(twice.ok()) << twice.status();
  EXPECT_EQ(twice->text, once->text);
  EXPECT_EQ(twice->changed, Strings{});
}

const Strings kBoth = {"dc_relay_domains", "dc_relay_nets"};

INSTANTIATE_TEST_SUITE_P(
    Texts, EditUpdateExim4ConfTest,
    ::testing::Values(
        EditCase{"InPlace", "a='1'\ndc_relay_domains=''\nb='2'\ndc_relay_nets=''\nc='3'\n",
                 V4Settings(),
                 "a='1'\ndc_relay_domains='relay.example.org'\nb='2'\n"
                 "dc_relay_nets='127.0.0.1/32 ; 192.0.2.0/24'\nc='3'\n",
                 kBoth, 1},
        EditCase{"Ipv6", "dc_relay_domains=''\ndc_relay_nets=''\n", V6Settings(),
                 "dc_relay_domains='relay.example.org ; backup.example.net'\n"
                 "dc_relay_nets='127.0.0.1/32 ; 192.0.2.0/24 ; ::1/128'\n",
                 kBoth},
        EditCase{"LoneIpv6GetsTheSeparatorPrefix",
                 "dc_relay_domains=''\ndc_relay_nets=''\n",
                 {{Net("2001:db8::/32")}, {}},
                 "dc_relay_domains=''\ndc_relay_nets='<; 2001:db8::/32'\n",
                 {"dc_relay_nets"},
                 1},
        EditCase{
            "KeepsIndentationAndTrailingComment",
            "  dc_relay_nets='10.0.0.0/8'   # the office\ndc_relay_domains='relay.example.org'\n",
            V4Settings(),
            "  dc_relay_nets='127.0.0.1/32 ; 192.0.2.0/24'   # the office\n"
            "dc_relay_domains='relay.example.org'\n",
            {"dc_relay_nets"},
            1},
        EditCase{"DoubleQuotedAndUnquotedValues",
                 "dc_relay_nets=\"10.0.0.0/8\"\ndc_relay_domains=a.example\n",
                 V4Settings(),
                 "dc_relay_nets='127.0.0.1/32 ; 192.0.2.0/24'\n"
                 "dc_relay_domains='relay.example.org'\n",
                 {"dc_relay_nets", "dc_relay_domains"},
                 1},
        EditCase{"SameItemsInAnotherFormStay",
                 "dc_relay_nets='127.0.0.1:192.0.2.0/24'\ndc_relay_domains='Relay.Example.Org'\n",
                 V4Settings(),
                 "dc_relay_nets='127.0.0.1:192.0.2.0/24'\ndc_relay_domains='Relay.Example.Org'\n",
                 {},
                 1},
        EditCase{"SemicolonsWithoutPrefixStay",
                 "dc_relay_nets='127.0.0.1;192.0.2.0/24;::1'\n"
                 "dc_relay_domains='relay.example.org;backup.example.net'\n",
                 V6Settings(),
                 "dc_relay_nets='127.0.0.1;192.0.2.0/24;::1'\n"
                 "dc_relay_domains='relay.example.org;backup.example.net'\n",
                 {}},
        EditCase{"EveryRepetitionIsSet",
                 "dc_relay_nets='10.0.0.0/8'\ndc_relay_domains=''\ndc_relay_nets='0.0.0.0/0'\n",
                 V4Settings(),
                 "dc_relay_nets='127.0.0.1/32 ; 192.0.2.0/24'\ndc_relay_domains='relay.example.org'"
                 "\ndc_relay_nets='127.0.0.1/32 ; 192.0.2.0/24'\n",
                 {"dc_relay_nets", "dc_relay_domains"},
                 1},
        EditCase{"AppendsMissingKeys", "# c\ndc_eximconfig_configtype='internet'\n", V4Settings(),
                 "# c\ndc_eximconfig_configtype='internet'\n"
                 "dc_relay_domains='relay.example.org'\n"
                 "dc_relay_nets='127.0.0.1/32 ; 192.0.2.0/24'\n",
                 kBoth, 1},
        EditCase{"AppendsWithoutAddingAFinalNewline", "dc_eximconfig_configtype='internet'",
                 V4Settings(),
                 "dc_eximconfig_configtype='internet'\ndc_relay_domains='relay.example.org'\n"
                 "dc_relay_nets='127.0.0.1/32 ; 192.0.2.0/24'",
                 kBoth, 1},
        EditCase{"Crlf",
                 "dc_relay_nets=''\r\n# x\r\n",
                 V4Settings(),
                 "dc_relay_nets='127.0.0.1/32 ; 192.0.2.0/24'\r\n# x\r\n"
                 "dc_relay_domains='relay.example.org'\r\n",
                 {"dc_relay_nets", "dc_relay_domains"},
                 1},
        EditCase{"EmptyPolicyWarnsAboutLocalhost",
                 "dc_relay_nets='10.0.0.0/8'\ndc_relay_domains=''\n",
                 {},
                 "dc_relay_nets=''\ndc_relay_domains=''\n",
                 {"dc_relay_nets"},
                 1},
        EditCase{"ConfigTypeNoneWarns",
                 "dc_eximconfig_configtype='none'\ndc_relay_nets=''\ndc_relay_domains=''\n",
                 V4Settings(),
                 "dc_eximconfig_configtype='none'\ndc_relay_nets='127.0.0.1/32 ; 192.0.2.0/24'\n"
                 "dc_relay_domains='relay.example.org'\n",
                 {"dc_relay_nets", "dc_relay_domains"},
                 2}),
    [](const auto& info) { return info.param.name; });

TEST(EditUpdateExim4ConfTest, DebconfFileChangesOnlyTheTwoLines) {
  std::string before = ReadData("update-exim4.conf.conf");
  ASSERT_FALSE(before.empty());
  absl::StatusOr<EximEdit> edit = EditUpdateExim4Conf(before, V6Settings(), "u");
  ASSERT_TRUE(edit.ok()) << edit.status();
  LineDiff d = Diff(before, edit->text);
  EXPECT_EQ(d.removed, (Strings{"dc_relay_domains=''\n", "dc_relay_nets=''\n"}));
  EXPECT_EQ(d.added, (Strings{"dc_relay_domains='relay.example.org ; backup.example.net'\n",
                              "dc_relay_nets='127.0.0.1/32 ; 192.0.2.0/24 ; ::1/128'\n"}));
  EXPECT_EQ(edit->changed, kBoth);
  EXPECT_EQ(edit->warnings, Strings{});
}

TEST(EditUpdateExim4ConfTest, UnchangedFileComesBackByteForByte) {
  std::string before = ReadData("update-exim4.conf.conf");
  absl::StatusOr<EximEdit> edit =
      EditUpdateExim4Conf(before, {{Net("127.0.0.1/32"), Net("::1/128")}, {}}, "u");
  ASSERT_TRUE(edit.ok()) << edit.status();
  absl::StatusOr<EximEdit> again =
      EditUpdateExim4Conf(edit->text, {{Net("127.0.0.1/32"), Net("::1/128")}, {}}, "u");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->text, edit->text);
  EXPECT_EQ(edit->changed, Strings{"dc_relay_nets"});  // dc_relay_domains='' already right
}

TEST(EditUpdateExim4ConfTest, LocalhostWarningNamesTheLine) {
  absl::StatusOr<EximEdit> edit =
      EditUpdateExim4Conf("# x\ndc_relay_nets=''\n", {{Net("192.0.2.0/24")}, {}}, "/etc/u");
  ASSERT_TRUE(edit.ok()) << edit.status();
  ASSERT_EQ(edit->warnings.size(), 1u);
  EXPECT_EQ(edit->warnings[0],
            "/etc/u:2: update-exim4.conf always adds 127.0.0.1 and ::1 to dc_relay_nets, so "
            "clients on this host may relay without authentication although the policy does not "
            "list them");
}

TEST(ParseUpdateExim4ConfTest, ReadsEveryAssignment) {
  auto settings = ParseUpdateExim4Conf(ReadData("update-exim4.conf.conf"), "u");
  ASSERT_TRUE(settings.ok()) << settings.status();
  ASSERT_EQ(settings->size(), 13u);
  EXPECT_EQ((*settings)[2].key, "dc_local_interfaces");
  EXPECT_EQ((*settings)[2].value, "127.0.0.1 ; ::1");
  EXPECT_EQ((*settings)[2].line, 8u);
  EXPECT_EQ((*settings)[8].key, "CFILEMODE");
}

struct ErrorCase {
  std::string name;
  std::string text;
  std::string message;
};

class UpdateExim4ConfErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(UpdateExim4ConfErrorTest, RefusesWhatItCannotParse) {
  absl::StatusOr<EximEdit> edit = EditUpdateExim4Conf(GetParam().text, V4Settings(), "u.conf");
  ASSERT_FALSE(edit.ok());
  EXPECT_EQ(edit.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(edit.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Texts, UpdateExim4ConfErrorTest,
    ::testing::Values(
        ErrorCase{"Export", "# x\nexport dc_relay_nets='a'\n",
                  "u.conf:2: not a shell assignment in \"export dc_relay_nets='a'\" (expected "
                  "KEY='value') — nothing was changed"},
        ErrorCase{"Garbage", "dc_relay_nets=''\nhello world\n",
                  "u.conf:2: not a shell assignment in \"hello world\" (expected KEY='value') — "
                  "nothing was changed"},
        ErrorCase{"DigitFirst", "1dc=''\n",
                  "u.conf:1: not a shell assignment in \"1dc=''\" (expected KEY='value') — "
                  "nothing was changed"},
        ErrorCase{"SpaceBeforeEquals", "dc_relay_nets = ''\n",
                  "u.conf:1: not a shell assignment in \"dc_relay_nets = ''\" (expected "
                  "KEY='value') — nothing was changed"},
        ErrorCase{"Unterminated", "dc_relay_nets='10.0.0.0/8\n10.1.0.0/16'\n",
                  "u.conf:1: unterminated quote in \"dc_relay_nets='10.0.0.0/8\" (expected "
                  "KEY='value') — nothing was changed"},
        ErrorCase{"Expansion", "dc_relay_nets=\"$NETS\"\n",
                  "u.conf:1: $, ` or \\ inside double quotes in \"dc_relay_nets=\"$NETS\"\" "
                  "(expected KEY='value') — nothing was changed"},
        ErrorCase{"Concatenation", "dc_relay_nets='a'b\n",
                  "u.conf:1: unexpected text after the value in \"dc_relay_nets='a'b\" (expected "
                  "KEY='value') — nothing was changed"},
        ErrorCase{"Command", "dc_relay_nets=a;rm x\n",
                  "u.conf:1: unexpected text after the value in \"dc_relay_nets=a;rm x\" "
                  "(expected KEY='value') — nothing was changed"},
        ErrorCase{"HashGluedToTheValue", "dc_relay_nets='a'#c\n",
                  "u.conf:1: unexpected text after the value in \"dc_relay_nets='a'#c\" "
                  "(expected KEY='value') — nothing was changed"},
        ErrorCase{"ContinuedLine", "dc_relay_nets='a' \\\n",
                  "u.conf:1: unexpected text after the value in \"dc_relay_nets='a' \\\" "
                  "(expected KEY='value') — nothing was changed"}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace relayguard::agent::exim
