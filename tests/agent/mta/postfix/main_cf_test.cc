#include "agent/mta/postfix/main_cf.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>
#include "tests/support/line_diff.h"

namespace relayguard::agent::postfix {
namespace {

using ::relayguard::testing::Diff;
using ::relayguard::testing::LineDiff;
using ::relayguard::testing::Lines;

const std::string kDataDir = std::string(RG_SOURCE_DIR) + "/tests/data/postfix";

std::string ReadData(const std::string& name) {
  std::ifstream in(kDataDir + "/" + name, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << kDataDir << "/" << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

using Strings = std::vector<std::string>;

TEST(MainCfTest, EveryGoldenFileRoundTripsByteForByte) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kDataDir)) {
    std::string name = entry.path().filename().string();
    std::string text = ReadData(name);
    EXPECT_EQ(MainCf::Parse(text).Render(), text) << name;
    ++files;
  }
  EXPECT_GE(files, 20);
}

TEST(MainCfTest, DebianFilesArePresent) {
  EXPECT_FALSE(ReadData("main.cf.dist").empty());
  EXPECT_FALSE(ReadData("main.cf.debian").empty());
  EXPECT_FALSE(ReadData("master.cf.dist").empty());
}

struct RoundTripCase {
  std::string name;
  std::string text;
};

class MainCfRoundTripTest : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(MainCfRoundTripTest, RendersExactlyWhatWasParsed) {
  EXPECT_EQ(MainCf::Parse(GetParam().text).Render(), GetParam().text);
}

INSTANTIATE_TEST_SUITE_P(
    Texts, MainCfRoundTripTest,
    ::testing::Values(RoundTripCase{"Empty", ""}, RoundTripCase{"OnlyNewline", "\n"},
                      RoundTripCase{"Crlf", "a = 1\r\nb = 2\r\n"},
                      RoundTripCase{"MixedEndings", "a = 1\r\nb = 2\n\r\n"},
                      RoundTripCase{"LoneCarriageReturn", "a = 1\r"},
                      RoundTripCase{"NoFinalNewline", "a = 1"},
                      RoundTripCase{"Nul", std::string("a = \0x\n", 7)},
                      RoundTripCase{"Utf8", "smtpd_banner = \xc3\xa9t\xc3\xa9\n"}),
    [](const auto& info) { return info.param.name; });

struct GetCase {
  std::string file;
  std::string key;
  std::optional<std::string> value;
};

class MainCfGetTest : public ::testing::TestWithParam<GetCase> {};

TEST_P(MainCfGetTest, ReadsTheLastDefinitionJoined) {
  MainCf cf = MainCf::Parse(ReadData(GetParam().file));
  EXPECT_EQ(cf.Get(GetParam().key), GetParam().value) << GetParam().file << " " << GetParam().key;
}

INSTANTIATE_TEST_SUITE_P(
    Files, MainCfGetTest,
    ::testing::Values(
        GetCase{"main.cf.dist", "mynetworks", "127.0.0.0/8"},
        GetCase{"main.cf.dist", "debugger_command",
                "PATH=/bin:/usr/bin:/usr/local/bin:/usr/X11R6/bin ddd "
                "$daemon_directory/$process_name $process_id & sleep 5"},
        GetCase{"main.cf.dist", "relayhost", std::nullopt},  // only in comments
        GetCase{"main.cf.dist", "sendmail_path", ""},
        GetCase{"main.cf.debian", "smtpd_banner", "$myhostname ESMTP $mail_name (Debian/GNU)"},
        GetCase{"main.cf.debian", "compatibility_level", "3.6"},
        GetCase{"main.cf.debian", "myorigin", std::nullopt},  // `#myorigin = ...`
        GetCase{"main.cf.debian", "mynetworks", std::nullopt},
        GetCase{"main.cf.debian-installed", "smtpd_relay_restrictions",
                "permit_mynetworks permit_sasl_authenticated defer_unauth_destination"},
        GetCase{"main.cf.debian-installed", "mynetworks",
                "127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128"},
        GetCase{"main.cf.debian-installed", "relayhost", ""},  // `relayhost = ` trailing space
        GetCase{"main.cf.debian-installed", "smtp_tls_session_cache_database",
                "btree:${data_directory}/smtp_scache"},
        GetCase{"main.cf.tls", "smtpd_tls_security_level", "may"},
        GetCase{"tricky.main.cf", "mynetworks", "127.0.0.0/8 [::1]/128"},  // last wins
        GetCase{"tricky.main.cf", "mydomain", "example.com"},              // no spaces
        GetCase{"tricky.main.cf", "myorigin", "$mydomain"},                // kept literal
        GetCase{"tricky.main.cf", "smtpd_relay_restrictions",
                "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination"},
        GetCase{"tricky.main.cf", "relayhost", ""},
        GetCase{"tricky.main.cf", "this line has no equals sign", std::nullopt},
        GetCase{"crlf.main.cf", "mynetworks", "127.0.0.0/8, 192.0.2.0/24"},
        GetCase{"crlf.main.cf", "relayhost", ""},
        GetCase{"no-final-newline.main.cf", "mynetworks", "127.0.0.0/8"},
        GetCase{"no-trailing-newline.main.cf", "mynetworks", "127.0.0.0/8 [::1]/128"},
        GetCase{"tabs.main.cf", "myhostname", "mail.example.org"},
        GetCase{"tabs.main.cf", "mynetworks", "127.0.0.0/8 192.168.0.0/16"},
        GetCase{"tabs.main.cf", "smtpd_relay_restrictions",
                "permit_mynetworks, reject_unauth_destination"},
        GetCase{"continuations.main.cf", "mynetworks", "127.0.0.0/8 10.1.0.0/16 192.168.7.0/24"},
        GetCase{"continuations.main.cf", "smtpd_relay_restrictions",
                "permit_mynetworks reject_unauth_destination"},
        GetCase{"continuations.main.cf", "biff", "no"},
        GetCase{"repeated-keys.main.cf", "mynetworks", "127.0.0.0/8"},
        GetCase{"repeated-keys.main.cf", "myhostname", "second.example.org"},
        GetCase{"references.main.cf", "myhostname", "mail.$mydomain"},
        GetCase{"references.main.cf", "mydestination",
                "$myhostname, localhost.${mydomain}, localhost"},
        GetCase{"references.main.cf", "virtual_alias_maps", "${indexed}virtual"},
        GetCase{"no-spaces.main.cf", "relayhost", "[smtp.example.net]:587"},
        GetCase{"no-spaces.main.cf", "smtpd_banner", "$myhostname ESMTP"},
        GetCase{"empty-value.main.cf", "relayhost", ""},
        GetCase{"empty-value.main.cf", "mydestination", "$myhostname"},
        GetCase{"empty-value.main.cf", "smtpd_sasl_auth_enable", ""},
        GetCase{"empty-value.main.cf", "biff", ""},
        GetCase{"commented-settings.main.cf", "mynetworks", std::nullopt},
        GetCase{"commented-settings.main.cf", "relayhost", std::nullopt},
        GetCase{"commented-settings.main.cf", "myhostname", "mail.example.org"},
        GetCase{"leading-whitespace.main.cf", "orphan continuation", std::nullopt},
        GetCase{"leading-whitespace.main.cf", "myhostname", "mail.example.org"},
        GetCase{"not-settings.main.cf", "myhostname", "mail.example.org"},
        GetCase{"not-settings.main.cf", "bad key", std::nullopt},
        GetCase{"not-settings.main.cf", "", std::nullopt},
        GetCase{"empty.main.cf", "mynetworks", std::nullopt},
        GetCase{"only-comments.main.cf", "mynetworks", std::nullopt}),
    [](const auto& info) { return "Case" + std::to_string(info.index); });

struct KeysCase {
  std::string file;
  Strings keys;
};

class MainCfKeysTest : public ::testing::TestWithParam<KeysCase> {};

TEST_P(MainCfKeysTest, ListsKeysInOrderOfFirstDefinition) {
  EXPECT_EQ(MainCf::Parse(ReadData(GetParam().file)).Keys(), GetParam().keys) << GetParam().file;
}

INSTANTIATE_TEST_SUITE_P(
    Files, MainCfKeysTest,
    ::testing::Values(KeysCase{"main.cf.debian",
                               {"smtpd_banner", "biff", "append_dot_mydomain", "readme_directory",
                                "compatibility_level"}},
                      KeysCase{"repeated-keys.main.cf", {"mynetworks", "myhostname", "biff"}},
                      KeysCase{"leading-whitespace.main.cf", {"myhostname", "mynetworks"}},
                      KeysCase{"not-settings.main.cf", {"myhostname"}},
                      KeysCase{"only-comments.main.cf", {}}, KeysCase{"empty.main.cf", {}}),
    [](const auto& info) { return "Case" + std::to_string(info.index); });

struct SetCase {
  std::string name;
  std::string before;
  std::string key;
  std::string value;
  std::string after;
};

class MainCfSetTest : public ::testing::TestWithParam<SetCase> {};

TEST_P(MainCfSetTest, RewritesInPlaceOrAppends) {
  MainCf cf = MainCf::Parse(GetParam().before);
  cf.Set(GetParam().key, GetParam().value);
  EXPECT_EQ(cf.Render(), GetParam().after);
  EXPECT_EQ(cf.Get(GetParam().key), GetParam().value);
  cf.Set(GetParam().key, GetParam().value);  // a second identical Set changes nothing
  EXPECT_EQ(cf.Render(), GetParam().after);
}

INSTANTIATE_TEST_SUITE_P(
    Texts, MainCfSetTest,
    ::testing::Values(
        SetCase{"Spaces", "a = 1\nb = 2\n", "a", "9", "a = 9\nb = 2\n"},
        SetCase{"NoSpaces", "a=1\n", "a", "9", "a=9\n"},
        SetCase{"OddSpacing", "a  =\t1\n", "a", "9", "a  =\t9\n"},
        SetCase{"SpaceOnlyBefore", "a =1\n", "a", "9", "a =9\n"},
        SetCase{"EmptyValueGainsSpace", "a =\n", "a", "9", "a = 9\n"},
        SetCase{"EmptyValueKeepsTrailingSpace", "a = \n", "a", "9", "a = 9\n"},
        SetCase{"ToEmpty", "a = 1\n", "a", "", "a = \n"},
        SetCase{"LastDefinitionOnly", "a = 1\nb = 2\na = 3\n", "a", "9", "a = 1\nb = 2\na = 9\n"},
        SetCase{"DropsContinuationsKeepsComments", "a = 1\n  2\n# note\n\n  3\nb = 4\n", "a", "9",
                "a = 9\n# note\n\nb = 4\n"},
        SetCase{"ContinuationAtEndWithoutNewline", "a = 1\n  2", "a", "9", "a = 9\n"},
        SetCase{"CrlfRewrite", "a = 1\r\nb = 2\r\n", "a", "9", "a = 9\r\nb = 2\r\n"},
        SetCase{"CrlfAppend", "a = 1\r\n", "b", "9", "a = 1\r\nb = 9\r\n"},
        SetCase{"CrlfAppendNoFinalNewline", "a = 1\r\nb = 2", "c", "9",
                "a = 1\r\nb = 2\r\nc = 9\r\n"},
        SetCase{"Append", "a = 1\n", "b", "9", "a = 1\nb = 9\n"},
        SetCase{"AppendAddsMissingNewline", "a = 1", "b", "9", "a = 1\nb = 9\n"},
        SetCase{"AppendToEmpty", "", "b", "9", "b = 9\n"},
        SetCase{"AppendAfterComment", "# c", "b", "9", "# c\nb = 9\n"},
        SetCase{"RewriteLastLineWithoutNewline", "b = 2\na = 1", "a", "9", "b = 2\na = 9"},
        SetCase{"CommentedSettingUntouched", "#a = 1\n", "a", "9", "#a = 1\na = 9\n"},
        SetCase{"ReferencesStayLiteral", "a = $b\n", "a", "${c} $d", "a = ${c} $d\n"},
        SetCase{"NoOpWhenJoinedValueMatches", "a = 1\n  2\n", "a", "1 2", "a = 1\n  2\n"}),
    [](const auto& info) { return info.param.name; });

TEST(MainCfTest, SetOnDebianDistTouchesOnlyTheMynetworksLine) {
  std::string before = ReadData("main.cf.dist");
  MainCf cf = MainCf::Parse(before);
  cf.Set("mynetworks", "127.0.0.1/32");
  std::string after = cf.Render();
  // Same line count, and every line but one is byte-identical at the same index.
  Strings a = Lines(before), b = Lines(after);
  ASSERT_EQ(a.size(), b.size());
  Strings changed;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) changed.push_back(a[i] + " -> " + b[i]);
  }
  EXPECT_EQ(changed, Strings{"mynetworks = 127.0.0.0/8\n -> mynetworks = 127.0.0.1/32\n"});
}

TEST(MainCfTest, SetOnDebianInstalledTouchesOnlyTheIntendedLines) {
  std::string before = ReadData("main.cf.debian-installed");
  MainCf cf = MainCf::Parse(before);
  cf.Set("mynetworks", "127.0.0.0/8");
  cf.Set("smtpd_relay_restrictions", "permit_mynetworks reject_unauth_destination");
  cf.Set("smtpd_helo_required", "yes");
  LineDiff d = Diff(before, cf.Render());
  EXPECT_EQ(d.removed,
            (Strings{"smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated "
                     "defer_unauth_destination\n",
                     "mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128\n"}));
  EXPECT_EQ(d.added,
            (Strings{"smtpd_relay_restrictions = permit_mynetworks reject_unauth_destination\n",
                     "mynetworks = 127.0.0.0/8\n", "smtpd_helo_required = yes\n"}));
}

TEST(MainCfTest, SetDropsContinuationLinesButKeepsCommentsBetweenThem) {
  std::string before = ReadData("tricky.main.cf");
  MainCf cf = MainCf::Parse(before);
  cf.Set("smtpd_relay_restrictions", "permit_mynetworks, reject_unauth_destination");
  LineDiff d = Diff(before, cf.Render());
  EXPECT_EQ(d.removed,
            (Strings{"smtpd_relay_restrictions =\n", "    permit_mynetworks,\n",
                     "    permit_sasl_authenticated,\n", "    reject_unauth_destination\n"}));
  EXPECT_EQ(d.added,
            Strings{"smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n"});
  EXPECT_NE(cf.Render().find("    # commented-out rule inside the list\n"), std::string::npos);
}

TEST(MainCfTest, SetRewritesOnlyTheLastOfRepeatedDefinitions) {
  std::string before = ReadData("repeated-keys.main.cf");
  MainCf cf = MainCf::Parse(before);
  cf.Set("mynetworks", "127.0.0.1/32");
  LineDiff d = Diff(before, cf.Render());
  EXPECT_EQ(d.removed, Strings{"mynetworks = 127.0.0.0/8\n"});
  EXPECT_EQ(d.added, Strings{"mynetworks = 127.0.0.1/32\n"});
  EXPECT_EQ(cf.Get("mynetworks"), "127.0.0.1/32");
}

TEST(MainCfTest, SetContinuedValueKeepsInterleavedCommentsAndBlankLines) {
  std::string before = ReadData("continuations.main.cf");
  MainCf cf = MainCf::Parse(before);
  cf.Set("mynetworks", "127.0.0.0/8");
  LineDiff d = Diff(before, cf.Render());
  EXPECT_EQ(d.removed, (Strings{"    10.1.0.0/16\n", "  192.168.7.0/24\n"}));
  EXPECT_EQ(d.added, Strings{});
  EXPECT_EQ(cf.Get("mynetworks"), "127.0.0.0/8");
  EXPECT_EQ(cf.Get("smtpd_relay_restrictions"), "permit_mynetworks reject_unauth_destination");
}

TEST(MainCfTest, CrlfFilesStayCrlf) {
  MainCf cf = MainCf::Parse(ReadData("crlf.main.cf"));
  cf.Set("mynetworks", "127.0.0.1/32");
  cf.Set("smtpd_relay_restrictions", "reject_unauth_destination");
  EXPECT_EQ(cf.Render(),
            "# CRLF file\r\nmyhostname = mx.example.com\r\nmynetworks = 127.0.0.1/32\r\n"
            "relayhost =\r\nsmtpd_relay_restrictions = reject_unauth_destination\r\n");
}

TEST(MainCfTest, SetAppendsUndefinedKeysAndAddsMissingFinalNewline) {
  MainCf cf = MainCf::Parse(ReadData("no-final-newline.main.cf"));
  cf.Set("smtpd_relay_restrictions", "reject_unauth_destination");
  EXPECT_EQ(cf.Render(),
            "myhostname = mx.example.com\nmynetworks=127.0.0.0/8\n"
            "smtpd_relay_restrictions = reject_unauth_destination\n");
}

TEST(MainCfTest, SettingTheCurrentValueChangesNothing) {
  for (const char* file : {"main.cf.dist", "main.cf.debian-installed", "crlf.main.cf"}) {
    std::string text = ReadData(file);
    MainCf cf = MainCf::Parse(text);
    cf.Set("mynetworks", *cf.Get("mynetworks"));
    EXPECT_EQ(cf.Render(), text) << file;
  }
}

TEST(MainCfTest, SetTwiceIsIdempotent) {
  MainCf cf = MainCf::Parse(ReadData("main.cf.dist"));
  cf.Set("mynetworks", "127.0.0.1/32");
  cf.Set("smtpd_relay_restrictions", "reject_unauth_destination");
  std::string once = cf.Render();
  cf.Set("mynetworks", "127.0.0.1/32");
  cf.Set("smtpd_relay_restrictions", "reject_unauth_destination");
  EXPECT_EQ(cf.Render(), once);
  EXPECT_EQ(MainCf::Parse(once).Render(), once);
}

TEST(MainCfTest, LeadingWhitespaceAtTopIsNotASetting) {
  std::string text = ReadData("leading-whitespace.main.cf");
  MainCf cf = MainCf::Parse(text);
  cf.Set("myhostname", "mx.example.org");
  EXPECT_EQ(cf.Render(),
            "    orphan continuation = at the top\n\tanother one\nmyhostname = mx.example.org\n"
            "mynetworks = 127.0.0.0/8\n");
}

TEST(MainCfDeathTest, ValueWithLineBreakIsAProgrammingError) {
  MainCf cf = MainCf::Parse("a = 1\n");
  EXPECT_DEATH(cf.Set("a", "1\nb = 2"), "line break");
}

}  // namespace
}  // namespace relayguard::agent::postfix
