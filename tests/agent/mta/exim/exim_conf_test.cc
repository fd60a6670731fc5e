#include "agent/mta/exim/exim_conf.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "agent/mta/exim/exim_rcpt_acl.h"
#include "tests/agent/mta/exim/exim_test_files.h"

namespace relayguard::agent::exim {
namespace {

using testing::DebianSplitConfig;
using testing::Diff;
using testing::kDataDir;
using testing::LineDiff;
using testing::ReadData;
using testing::ReadDebian;
using testing::Strings;

Cidr Net(const char* text) { return *ParseCidr(text); }

// 127.0.0.1/32 : 192.0.2.0/24 and relay.example.org
EximRelaySettings V4Settings() {
  return {{Net("127.0.0.1/32"), Net("192.0.2.0/24")}, {"relay.example.org"}};
}

// With ::1/128, so that relay_from_hosts needs the "<;" form.
EximRelaySettings V6Settings() {
  return {{Net("127.0.0.1/32"), Net("192.0.2.0/24"), Net("::1/128")}, {"relay.example.org"}};
}

EximRelaySettings NoSettings() { return {}; }

const std::string kV4Hosts = "127.0.0.1/32 : 192.0.2.0/24";
const std::string kV6Hosts = "<; 127.0.0.1/32 ; 192.0.2.0/24 ; ::1/128";
const Strings kBothLists = {"domainlist relay_to_domains", "hostlist relay_from_hosts"};

struct EditCase {
  std::string name;
  std::string before;
  EximRelaySettings want;
  std::string after;
  Strings changed;
  size_t warnings = 0;
};

class EditEximConfTest : public ::testing::TestWithParam<EditCase> {};

TEST_P(EditEximConfTest, EditsOnlyTheValuesTheRulesName) {
  const EditCase& c = GetParam();
  absl::StatusOr<EximEdit> edit = EditEximConf(c.before, c.want, "exim.conf");
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_EQ(edit->text, c.after);
  EXPECT_EQ(edit->changed, c.changed);
  EXPECT_EQ(edit->warnings.size(), c.warnings) << ::testing::PrintToString(edit->warnings);
}

TEST_P(EditEximConfTest, IsIdempotent) {
  absl::StatusOr<EximEdit> once = EditEximConf(GetParam().before, GetParam().want, "exim.conf");
  ASSERT_TRUE(once.ok()) << once.status();
  absl::StatusOr<EximEdit> twice = EditEximConf(once->text, GetParam().want, "exim.conf");
  ASSERT_TRUE(twice.ok()) << twice.status();
  EXPECT_EQ(twice->text, once->text);
  EXPECT_EQ(twice->changed, Strings{});
}

INSTANTIATE_TEST_SUITE_P(
    Texts, EditEximConfTest,
    ::testing::Values(
        EditCase{"KeepsAlignment",
                 "domainlist local_domains    = example.com\n"
                 "domainlist relay_to_domains = old.example\n"
                 "hostlist   relay_from_hosts = 10.0.0.0/8\n",
                 V4Settings(),
                 "domainlist local_domains    = example.com\n"
                 "domainlist relay_to_domains = relay.example.org\n"
                 "hostlist   relay_from_hosts = " +
                     kV4Hosts + "\n",
                 kBothLists},
        EditCase{"KeepsTabs",
                 "hostlist\trelay_from_hosts\t=\t10.0.0.0/8\n"
                 "domainlist relay_to_domains = relay.example.org\n",
                 V4Settings(),
                 "hostlist\trelay_from_hosts\t=\t" + kV4Hosts +
                     "\n"
                     "domainlist relay_to_domains = relay.example.org\n",
                 {"hostlist relay_from_hosts"}},
        EditCase{"NoSpacesAroundEquals",
                 "hostlist relay_from_hosts=10.0.0.0/8\ndomainlist relay_to_domains=a.example\n",
                 V4Settings(),
                 "hostlist relay_from_hosts=" + kV4Hosts +
                     "\ndomainlist relay_to_domains=relay.example.org\n",
                 kBothLists},
        EditCase{"EmptyValueGainsASpace",
                 "domainlist relay_to_domains =\nhostlist relay_from_hosts =\n", V4Settings(),
                 "domainlist relay_to_domains = relay.example.org\nhostlist relay_from_hosts = " +
                     kV4Hosts + "\n",
                 kBothLists},
        EditCase{
            "ToEmptyLists",
            "domainlist relay_to_domains = a.example\nhostlist relay_from_hosts = 10.0.0.0/8\n",
            NoSettings(), "domainlist relay_to_domains =\nhostlist relay_from_hosts =\n",
            kBothLists},
        EditCase{"SameItemsWrittenDifferentlyStay",
                 "domainlist relay_to_domains = Relay.Example.ORG :\n"
                 "hostlist relay_from_hosts = 127.0.0.1:192.0.2.0/24\n",
                 V4Settings(),
                 "domainlist relay_to_domains = Relay.Example.ORG :\n"
                 "hostlist relay_from_hosts = 127.0.0.1:192.0.2.0/24\n",
                 {}},
        EditCase{"Ipv6ForcesTheSemicolonForm",
                 "domainlist relay_to_domains = relay.example.org\n"
                 "hostlist relay_from_hosts = 127.0.0.1 : ::::1\n",
                 V6Settings(),
                 "domainlist relay_to_domains = relay.example.org\n"
                 "hostlist relay_from_hosts = " +
                     kV6Hosts + "\n",
                 {"hostlist relay_from_hosts"}},
        EditCase{"Ipv6AlreadyRightInColonForm",
                 "domainlist relay_to_domains = relay.example.org\n"
                 "hostlist relay_from_hosts = 127.0.0.1 : 192.0.2.0/24 : ::::1\n",
                 V6Settings(),
                 "domainlist relay_to_domains = relay.example.org\n"
                 "hostlist relay_from_hosts = 127.0.0.1 : 192.0.2.0/24 : ::::1\n",
                 {}},
        EditCase{"ReplacesAContinuedValueKeepingItsComments",
                 "hostlist relay_from_hosts = 10.0.0.0/8 : \\\n"
                 "# the office\n"
                 "                            10.1.0.0/16\n"
                 "domainlist relay_to_domains = relay.example.org\n",
                 V4Settings(),
                 "hostlist relay_from_hosts = " + kV4Hosts +
                     "\n# the office\n"
                     "domainlist relay_to_domains = relay.example.org\n",
                 {"hostlist relay_from_hosts"}},
        EditCase{"ContinuedEmptyFirstLine",
                 "hostlist relay_from_hosts =\\\n   10.0.0.0/8\n"
                 "domainlist relay_to_domains = relay.example.org\n",
                 V4Settings(),
                 "hostlist relay_from_hosts = " + kV4Hosts +
                     "\n"
                     "domainlist relay_to_domains = relay.example.org\n",
                 {"hostlist relay_from_hosts"}},
        EditCase{"CrlfStaysCrlf",
                 "domainlist local_domains = example.com\r\nhostlist relay_from_hosts = 0.0.0.0/0"
                 "\r\n",
                 V4Settings(),
                 "domainlist local_domains = example.com\r\n"
                 "domainlist relay_to_domains = relay.example.org\r\n"
                 "hostlist relay_from_hosts = " +
                     kV4Hosts + "\r\n",
                 {"hostlist relay_from_hosts", "domainlist relay_to_domains"}},
        EditCase{"NoFinalNewlineStaysMissing",
                 "domainlist relay_to_domains = relay.example.org\nhostlist relay_from_hosts = *",
                 V4Settings(),
                 "domainlist relay_to_domains = relay.example.org\nhostlist relay_from_hosts = " +
                     kV4Hosts,
                 {"hostlist relay_from_hosts"}},
        EditCase{"MacroValueIsReplacedWithAWarning",
                 "domainlist relay_to_domains = MAIN_RELAY_TO_DOMAINS\n"
                 "hostlist relay_from_hosts = MAIN_RELAY_NETS\n",
                 V4Settings(),
                 "domainlist relay_to_domains = relay.example.org\n"
                 "hostlist relay_from_hosts = " +
                     kV4Hosts + "\n",
                 kBothLists, 2},
        EditCase{"MacroEvenWhenItsValueMatches",
                 "NETS = 127.0.0.1/32 : 192.0.2.0/24\nhostlist relay_from_hosts = NETS\n"
                 "domainlist relay_to_domains = relay.example.org\n",
                 V4Settings(),
                 "NETS = 127.0.0.1/32 : 192.0.2.0/24\nhostlist relay_from_hosts = " + kV4Hosts +
                     "\ndomainlist relay_to_domains = relay.example.org\n",
                 {"hostlist relay_from_hosts"},
                 1},
        EditCase{"LookupIsReplacedWithAWarning",
                 "hostlist relay_from_hosts = net-lsearch;/etc/exim4/relay_hosts\n"
                 "domainlist relay_to_domains = relay.example.org\n",
                 V4Settings(),
                 "hostlist relay_from_hosts = " + kV4Hosts +
                     "\n"
                     "domainlist relay_to_domains = relay.example.org\n",
                 {"hostlist relay_from_hosts"},
                 1},
        EditCase{"FileIsReplacedWithAWarning",
                 "hostlist relay_from_hosts = /etc/exim4/relay_hosts\n"
                 "domainlist relay_to_domains = relay.example.org\n",
                 V4Settings(),
                 "hostlist relay_from_hosts = " + kV4Hosts +
                     "\n"
                     "domainlist relay_to_domains = relay.example.org\n",
                 {"hostlist relay_from_hosts"},
                 1},
        EditCase{"SetsEveryDefinitionInIfdefBranches",
                 ".ifdef OFFICE\nhostlist relay_from_hosts = 10.0.0.0/8\n.else\n"
                 "hostlist relay_from_hosts = 127.0.0.1/32 : 192.0.2.0/24\n.endif\n"
                 "domainlist relay_to_domains = relay.example.org\n",
                 V4Settings(),
                 ".ifdef OFFICE\nhostlist relay_from_hosts = " + kV4Hosts +
                     "\n.else\n"
                     "hostlist relay_from_hosts = 127.0.0.1/32 : 192.0.2.0/24\n.endif\n"
                     "domainlist relay_to_domains = relay.example.org\n",
                 {"hostlist relay_from_hosts"}},
        EditCase{"HideAndCacheForms",
                 "hide hostlist_cache relay_from_hosts = 10.0.0.0/8\n"
                 "domainlist_cache relay_to_domains = a.example\n",
                 V4Settings(),
                 "hide hostlist_cache relay_from_hosts = " + kV4Hosts +
                     "\n"
                     "domainlist_cache relay_to_domains = relay.example.org\n",
                 kBothLists},
        EditCase{"OtherListsAndSimilarNamesStay",
                 "hostlist relay_from_hosts_extra = 10.0.0.0/8\n"
                 "domainlist relay_from_hosts = a.example\n"
                 "# hostlist relay_from_hosts = 0.0.0.0/0\n"
                 "hostlist relay_from_hosts = 127.0.0.1/32 : 192.0.2.0/24\n"
                 "domainlist relay_to_domains = relay.example.org\n",
                 V4Settings(),
                 "hostlist relay_from_hosts_extra = 10.0.0.0/8\n"
                 "domainlist relay_from_hosts = a.example\n"
                 "# hostlist relay_from_hosts = 0.0.0.0/0\n"
                 "hostlist relay_from_hosts = 127.0.0.1/32 : 192.0.2.0/24\n"
                 "domainlist relay_to_domains = relay.example.org\n",
                 {}},
        EditCase{"ListsOutsideTheMainPartAreNotTheNamedLists",
                 "domainlist relay_to_domains = relay.example.org\n"
                 "hostlist relay_from_hosts = 127.0.0.1/32 : 192.0.2.0/24\n"
                 "begin routers\nhostlist relay_from_hosts = 0.0.0.0/0\n",
                 V4Settings(),
                 "domainlist relay_to_domains = relay.example.org\n"
                 "hostlist relay_from_hosts = 127.0.0.1/32 : 192.0.2.0/24\n"
                 "begin routers\nhostlist relay_from_hosts = 0.0.0.0/0\n",
                 {}},
        EditCase{"InsertsMissingListsAfterLocalDomains",
                 "# main\ndomainlist local_domains = example.com : \\\n   example.org\n"
                 "qualify_domain = example.com\n",
                 V4Settings(),
                 "# main\ndomainlist local_domains = example.com : \\\n   example.org\n"
                 "domainlist relay_to_domains = relay.example.org\n"
                 "hostlist relay_from_hosts = " +
                     kV4Hosts + "\nqualify_domain = example.com\n",
                 kBothLists},
        EditCase{"LocalDomainsInsideIfdefIsNoAnchor",
                 "# main\nqualify_domain = example.com\n.ifdef X\n"
                 "domainlist local_domains = example.com\n.endif\n",
                 V4Settings(),
                 "# main\ndomainlist relay_to_domains = relay.example.org\n"
                 "hostlist relay_from_hosts = " +
                     kV4Hosts +
                     "\nqualify_domain = example.com\n.ifdef X\n"
                     "domainlist local_domains = example.com\n.endif\n",
                 kBothLists},
        EditCase{"InsertsBeforeTheFirstSetting",
                 "# header\n\n.ifdef X\nqualify_domain = x\n.endif\nbegin acl\n", NoSettings(),
                 "# header\n\ndomainlist relay_to_domains =\nhostlist relay_from_hosts =\n"
                 ".ifdef X\nqualify_domain = x\n.endif\nbegin acl\n",
                 kBothLists},
        EditCase{"InsertsIntoAnEmptyFile", "", V4Settings(),
                 "domainlist relay_to_domains = relay.example.org\n"
                 "hostlist relay_from_hosts = " +
                     kV4Hosts + "\n",
                 kBothLists},
        EditCase{"InsertsAfterCommentsWithoutFinalNewline", "# only a comment", V4Settings(),
                 "# only a comment\ndomainlist relay_to_domains = relay.example.org\n"
                 "hostlist relay_from_hosts = " +
                     kV4Hosts,
                 kBothLists},
        EditCase{"QuotedAclName",
                 "domainlist relay_to_domains = relay.example.org\n"
                 "hostlist relay_from_hosts = " +
                     kV4Hosts +
                     "\nacl_smtp_rcpt = \"check\"\n"
                     "begin acl\ncheck:\n  accept\n",
                 V4Settings(),
                 "domainlist relay_to_domains = relay.example.org\n"
                 "hostlist relay_from_hosts = " +
                     kV4Hosts +
                     "\nacl_smtp_rcpt = \"check\"\n"
                     "begin acl\ncheck:\n  require message = relay not permitted\n"
                     "          domains = +local_domains : +relay_to_domains\n  accept\n",
                 {"check relay rule"},
                 1},
        EditCase{
            "AclThroughAMacroChain",
            "domainlist relay_to_domains = relay.example.org\n"
            "hostlist relay_from_hosts = " +
                kV4Hosts +
                "\nA = B\nB = check\n"
                "acl_smtp_rcpt = A\nbegin acl\ncheck:\n  accept\n",
            V4Settings(),
            "domainlist relay_to_domains = relay.example.org\n"
            "hostlist relay_from_hosts = " +
                kV4Hosts +
                "\nA = B\nB = check\n"
                "acl_smtp_rcpt = A\nbegin acl\ncheck:\n  require message = relay not permitted\n"
                "          domains = +local_domains : +relay_to_domains\n  accept\n",
            {"check relay rule"},
            1}),
    [](const auto& info) { return info.param.name; });

TEST(EditEximConfTest, WarnsNamingTheMacroAndTheLine) {
  absl::StatusOr<EximEdit> edit =
      EditEximConf("# x\nhostlist relay_from_hosts = MAIN_RELAY_NETS\n", V4Settings(), "e.conf");
  ASSERT_TRUE(edit.ok()) << edit.status();
  ASSERT_EQ(edit->warnings.size(), 1u);
  EXPECT_EQ(edit->warnings[0],
            "e.conf:2: hostlist relay_from_hosts was set from macro MAIN_RELAY_NETS; it now lists "
            "the policy's items literally, so the macro no longer affects it");
}

TEST(EditEximConfTest, WithoutAclSmtpRcptTouchesNoAclAndWarnsNothing) {
  // Exim refuses every remote RCPT when acl_smtp_rcpt is unset (spec 44.14).
  std::string text =
      "domainlist relay_to_domains =\nhostlist relay_from_hosts =\nbegin acl\n"
      "acl_check_rcpt:\n  accept\n";
  absl::StatusOr<EximEdit> edit = EditEximConf(text, NoSettings(), "e.conf");
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_EQ(edit->text, text);
  EXPECT_EQ(edit->changed, Strings{});
  EXPECT_EQ(edit->warnings, Strings{});
}

// Found by the exim_conf fuzz target (fuzz/regressions/exim_conf/edit-after-dangling-
// continuation): relay_to_domains, inserted after a local_domains whose last line ends in '\\'
// at the end of the file, was read back as part of local_domains, so every edit added it again.
TEST(EditEximConfTest, AListInsertedAfterADanglingContinuationStandsAlone) {
  std::string text = "domainlist\tlocal_domains\t= example.com : s\\";
  absl::StatusOr<EximEdit> edit = EditEximConf(text, V4Settings(), "e.conf");
  ASSERT_TRUE(edit.ok()) << edit.status();
  absl::StatusOr<std::optional<std::vector<std::string>>> relay_to =
      ReadNamedList(edit->text, "domainlist", "relay_to_domains", "e.conf");
  ASSERT_TRUE(relay_to.ok()) << relay_to.status();
  EXPECT_EQ(*relay_to, (Strings{"relay.example.org"}));
  absl::StatusOr<std::optional<std::vector<std::string>>> local =
      ReadNamedList(edit->text, "domainlist", "local_domains", "e.conf");
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_EQ(*local, (Strings{"example.com", "s"}));
  absl::StatusOr<EximEdit> again = EditEximConf(edit->text, V4Settings(), "e.conf");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->text, edit->text);
  EXPECT_EQ(again->changed, Strings{});
}

TEST(EditEximConfTest, WhatAlreadyHoldsComesBackByteForByte) {
  // Every golden output already holds V6Settings: CRLF, a missing final newline, continued
  // values, macros and .ifdef blocks must all come back unchanged.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kDataDir + "/golden")) {
    std::string name = entry.path().filename().string();
    std::string text = ReadData("golden/" + name);
    absl::StatusOr<EximEdit> edit = EditEximConf(text, V6Settings(), name);
    ASSERT_TRUE(edit.ok()) << name << ": " << edit.status();
    EXPECT_EQ(edit->text, text) << name;
    EXPECT_EQ(edit->changed, Strings{}) << name;
    ++files;
  }
  EXPECT_GE(files, 8);
}

TEST(EditEximConfTest, WarnsWhenTrustedNetworksCannotRelay) {
  const std::string text =
      "domainlist relay_to_domains = relay.example.org\nhostlist relay_from_hosts = " + kV4Hosts +
      "\nacl_smtp_rcpt = rcpt\nbegin acl\nrcpt:\n"
      "  require domains = +local_domains : +relay_to_domains\n  accept\n";
  absl::StatusOr<EximEdit> edit = EditEximConf(text, V4Settings(), "e.conf");
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_EQ(edit->text, text);
  EXPECT_EQ(edit->changed, Strings{});
  EXPECT_EQ(edit->warnings,
            Strings{"e.conf:5: ACL rcpt accepts no foreign recipient from +relay_from_hosts "
                    "before a relay check stops it, so the policy's trusted networks cannot "
                    "relay"});
  // Without trusted networks in the policy there is nothing to warn about.
  edit = EditEximConf(text, {{}, {"relay.example.org"}}, "e.conf");
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_EQ(edit->warnings, Strings{});
}

struct ErrorCase {
  std::string name;
  std::string text;
  std::string message;
};

class EditEximConfErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(EditEximConfErrorTest, RefusesNamingFileAndLine) {
  absl::StatusOr<EximEdit> edit = EditEximConf(GetParam().text, V4Settings(), "exim.conf");
  ASSERT_FALSE(edit.ok());
  EXPECT_EQ(edit.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(edit.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Texts, EditEximConfErrorTest,
    ::testing::Values(
        ErrorCase{"AclNotDefined",
                  "# x\nacl_smtp_rcpt = acl_check_rcpt\nbegin acl\nother:\n  accept\n",
                  "exim.conf:2: acl_smtp_rcpt names ACL \"acl_check_rcpt\", which this file does "
                  "not define after \"begin acl\" (Exim would run the name itself as an inline "
                  "ACL) — nothing was changed"},
        ErrorCase{"NoAclPart", "acl_smtp_rcpt = acl_check_rcpt\n",
                  "exim.conf:1: acl_smtp_rcpt names ACL \"acl_check_rcpt\", which this file does "
                  "not define after \"begin acl\" (Exim would run the name itself as an inline "
                  "ACL) — nothing was changed"},
        ErrorCase{"InlineAcl", "acl_smtp_rcpt = accept\n",
                  "exim.conf:1: acl_smtp_rcpt names ACL \"accept\", which this file does not "
                  "define after \"begin acl\" (Exim would run the name itself as an inline ACL) — "
                  "nothing was changed"},
        ErrorCase{"UndefinedMacro", "acl_smtp_rcpt = MAIN_ACL_CHECK_RCPT\nbegin acl\nx:\n",
                  "exim.conf:1: acl_smtp_rcpt names ACL \"MAIN_ACL_CHECK_RCPT\", which this file "
                  "does not define after \"begin acl\" (Exim would run the name itself as an "
                  "inline ACL) — nothing was changed"},
        ErrorCase{"Expansion",
                  "acl_smtp_rcpt = ${if ={25}{$interface_port} \\\n  {acl_a}{acl_b}}\n",
                  "exim.conf:1: acl_smtp_rcpt = \"${if ={25}{$interface_port} {acl_a}{acl_b}}\" "
                  "is not the plain name of an ACL (an expansion, a file or an inline ACL); "
                  "cannot check its relay rule — nothing was changed"},
        ErrorCase{"AclFile", "acl_smtp_rcpt = /etc/exim4/rcpt.acl\n",
                  "exim.conf:1: acl_smtp_rcpt = \"/etc/exim4/rcpt.acl\" is not the plain name of "
                  "an ACL (an expansion, a file or an inline ACL); cannot check its relay rule — "
                  "nothing was changed"},
        ErrorCase{"EqualsNotOnTheFirstLine", "hostlist relay_from_hosts \\\n  = 10.0.0.0/8\n",
                  "exim.conf:1: cannot rewrite hostlist relay_from_hosts (its \"=\" is not on its "
                  "first line) — nothing was changed"},
        ErrorCase{"DirectiveInsideTheValue",
                  "hostlist relay_from_hosts = 10.0.0.0/8 : \\\n.ifdef X\n  10.1.0.0/16\n.endif\n",
                  "exim.conf:1: cannot rewrite hostlist relay_from_hosts (a directive sits inside "
                  "its continued value) — nothing was changed"},
        ErrorCase{"UnbalancedIfdef", "domainlist local_domains = a\n.ifdef X\n",
                  "exim.conf:2: \".ifdef X\" has no matching .endif — nothing was changed"},
        ErrorCase{"BadAclLine", "acl_smtp_rcpt = r\nbegin acl\nr:\n  accept hosts\n",
                  "exim.conf:4: ACL r: expected \"=\" after \"hosts\" — nothing was changed"}),
    [](const auto& info) { return info.param.name; });

// Fixture configs (tests/data/exim) against golden outputs (tests/data/exim/golden). Set
// RELAYGUARD_UPDATE_GOLDEN=1 to rewrite the golden files after a deliberate change, then review
// them.
struct FixtureCase {
  std::string file;
  Strings changed;
  size_t warnings = 0;
};

class EximFixtureTest : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(EximFixtureTest, MatchesGoldenOutput) {
  const FixtureCase& c = GetParam();
  std::string before = ReadData(c.file);
  ASSERT_FALSE(before.empty());
  absl::StatusOr<EximEdit> edit = EditEximConf(before, V6Settings(), c.file);
  ASSERT_TRUE(edit.ok()) << edit.status();
  std::string golden_path = kDataDir + "/golden/" + c.file;
  if (const char* update = std::getenv("RELAYGUARD_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(golden_path, std::ios::binary) << edit->text;
  }
  EXPECT_EQ(edit->text, ReadData("golden/" + c.file));
  EXPECT_EQ(edit->changed, c.changed);
  EXPECT_EQ(edit->warnings.size(), c.warnings) << ::testing::PrintToString(edit->warnings);
  absl::StatusOr<EximEdit> again = EditEximConf(edit->text, V6Settings(), c.file);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->text, edit->text);
  EXPECT_EQ(again->changed, Strings{});
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, EximFixtureTest,
    ::testing::Values(FixtureCase{"open-relay.conf", kBothLists},
                      FixtureCase{"no-relay-check.conf",
                                  {"domainlist relay_to_domains", "hostlist relay_from_hosts",
                                   "check_rcpt relay rule"}},
                      FixtureCase{"unconditional-accept.conf",
                                  {"domainlist relay_to_domains", "hostlist relay_from_hosts",
                                   "acl_check_rcpt open accept (line 13)",
                                   "acl_check_rcpt open accept (line 14)"},
                                  2},
                      // These two ACLs accept nothing from +relay_from_hosts: a warning.
                      FixtureCase{"crlf.conf",
                                  {"domainlist relay_to_domains", "hostlist relay_from_hosts",
                                   "acl_check_rcpt relay rule"},
                                  1},
                      FixtureCase{"continuation.conf", {"hostlist relay_from_hosts"}, 1},
                      FixtureCase{"macros.conf",
                                  {"domainlist relay_to_domains", "hostlist relay_from_hosts",
                                   "acl_check_rcpt relay rule"},
                                  3},
                      FixtureCase{"missing-lists.conf", kBothLists},
                      FixtureCase{"ipv6-lists.conf", {"hostlist relay_from_hosts"}}),
    [](const auto& info) {
      std::string name;
      for (char ch : info.param.file)
        name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      return name;
    });

TEST(EximFixtureTest, MissingAclIsRefused) {
  absl::StatusOr<EximEdit> edit =
      EditEximConf(ReadData("missing-acl.conf"), V4Settings(), "missing-acl.conf");
  ASSERT_FALSE(edit.ok());
  EXPECT_EQ(edit.status().message(),
            "missing-acl.conf:5: acl_smtp_rcpt names ACL \"acl_check_rcpt\", which this file does "
            "not define after \"begin acl\" (Exim would run the name itself as an inline ACL) — "
            "nothing was changed");
}

// Debian's own files: editing them changes exactly the two list lines.
const Strings kDebianRemoved = {"domainlist relay_to_domains = MAIN_RELAY_TO_DOMAINS\n",
                                "hostlist relay_from_hosts = MAIN_RELAY_NETS\n"};
const Strings kDebianAdded = {"domainlist relay_to_domains = relay.example.org\n",
                              "hostlist relay_from_hosts = " + kV6Hosts + "\n"};

void ExpectOnlyTheListLinesChange(const std::string& before, const std::string& path,
                                  size_t warnings) {
  ASSERT_FALSE(before.empty());
  absl::StatusOr<EximEdit> edit = EditEximConf(before, V6Settings(), path);
  ASSERT_TRUE(edit.ok()) << edit.status();
  LineDiff d = Diff(before, edit->text);
  EXPECT_EQ(d.removed, kDebianRemoved);
  EXPECT_EQ(d.added, kDebianAdded);
  EXPECT_EQ(testing::Lines(edit->text).size(), testing::Lines(before).size());
  EXPECT_EQ(edit->changed, kBothLists);
  EXPECT_EQ(edit->warnings.size(), warnings) << ::testing::PrintToString(edit->warnings);
  absl::StatusOr<EximEdit> again = EditEximConf(edit->text, V6Settings(), path);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->text, edit->text);
  EXPECT_EQ(again->changed, Strings{});
}

TEST(DebianEximConfTest, TemplateChangesOnlyTheListLines) {
  // Two macro warnings, and one that acl_smtp_rcpt's MAIN_ACL_CHECK_RCPT is a .ifndef default.
  ExpectOnlyTheListLinesChange(ReadDebian("etc/exim4/exim4.conf.template"),
                               "/etc/exim4/exim4.conf.template", 3);
}

TEST(DebianEximConfTest, TemplateWarnsAboutItsMacros) {
  std::string text = ReadDebian("etc/exim4/exim4.conf.template");
  absl::StatusOr<EximEdit> edit = EditEximConf(text, V6Settings(), "exim4.conf.template");
  ASSERT_TRUE(edit.ok()) << edit.status();
  ASSERT_EQ(edit->warnings.size(), 3u);
  EXPECT_NE(edit->warnings[0].find(": domainlist relay_to_domains was set from macro "
                                   "MAIN_RELAY_TO_DOMAINS"),
            std::string::npos);
  EXPECT_NE(edit->warnings[1].find(": hostlist relay_from_hosts was set from macro "
                                   "MAIN_RELAY_NETS"),
            std::string::npos);
  EXPECT_NE(edit->warnings[2].find(": acl_smtp_rcpt is macro MAIN_ACL_CHECK_RCPT, taken as "
                                   "\"acl_check_rcpt\""),
            std::string::npos);
}

TEST(DebianEximConfTest, SplitConfigChangesOnlyTheListLines) {
  ExpectOnlyTheListLinesChange(DebianSplitConfig(), "config.autogenerated", 3);
}

TEST(DebianEximConfTest, ListMacroDefinitionsFileChangesOnlyTheListLines) {
  // No acl_smtp_rcpt in this fragment: only the two macro warnings.
  ExpectOnlyTheListLinesChange(ReadDebian("etc/exim4/conf.d/main/01_exim4-config_listmacrosdefs"),
                               "/etc/exim4/conf.d/main/01_exim4-config_listmacrosdefs", 2);
}

TEST(DebianEximConfTest, UpstreamDefaultConfigurationChangesOnlyTheListLines) {
  // Exim's own configure.default, as shipped in exim4-base's examples.
  std::string before = ReadDebian("usr/share/doc/exim4-base/examples/example.conf");
  ASSERT_FALSE(before.empty());
  absl::StatusOr<EximEdit> edit = EditEximConf(before, V6Settings(), "example.conf");
  ASSERT_TRUE(edit.ok()) << edit.status();
  LineDiff d = Diff(before, edit->text);
  EXPECT_EQ(d.removed, (Strings{"domainlist relay_to_domains =\n",
                                "hostlist   relay_from_hosts = localhost\n"}));
  EXPECT_EQ(d.added, (Strings{"domainlist relay_to_domains = relay.example.org\n",
                              "hostlist   relay_from_hosts = " + kV6Hosts + "\n"}));
  EXPECT_EQ(edit->changed, kBothLists);
  EXPECT_EQ(edit->warnings, Strings{});
}

TEST(DebianEximConfTest, ReadsTheListsOfTheTemplate) {
  std::string text = ReadDebian("etc/exim4/exim4.conf.template");
  auto hosts = ReadNamedList(text, "hostlist", "relay_from_hosts", "t");
  ASSERT_TRUE(hosts.ok()) << hosts.status();
  EXPECT_EQ(*hosts, std::optional<Strings>(Strings{"MAIN_RELAY_NETS"}));
  auto local = ReadNamedList(text, "domainlist", "local_domains", "t");
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_EQ(*local, std::optional<Strings>(Strings{"MAIN_LOCAL_DOMAINS"}));
  absl::StatusOr<EximEdit> edit = EditEximConf(text, V6Settings(), "t");
  ASSERT_TRUE(edit.ok()) << edit.status();
  hosts = ReadNamedList(edit->text, "hostlist", "relay_from_hosts", "t");
  ASSERT_TRUE(hosts.ok()) << hosts.status();
  EXPECT_EQ(*hosts, std::optional<Strings>(Strings{"127.0.0.1/32", "192.0.2.0/24", "::1/128"}));
}

struct ReadCase {
  std::string name;
  std::string text;
  std::string kind;
  std::string list;
  std::optional<Strings> items;
};

class ReadNamedListTest : public ::testing::TestWithParam<ReadCase> {};

TEST_P(ReadNamedListTest, ReadsTheItems) {
  auto items = ReadNamedList(GetParam().text, GetParam().kind, GetParam().list, "e.conf");
  ASSERT_TRUE(items.ok()) << items.status();
  EXPECT_EQ(*items, GetParam().items);
}

INSTANTIATE_TEST_SUITE_P(
    Texts, ReadNamedListTest,
    ::testing::Values(
        ReadCase{"Plain", "hostlist relay_from_hosts = 127.0.0.1 : ::::1\n", "hostlist",
                 "relay_from_hosts", Strings{"127.0.0.1", "::1"}},
        ReadCase{"SemicolonForm", "hostlist relay_from_hosts = <; 127.0.0.1/32 ; ::1/128\n",
                 "hostlist", "relay_from_hosts", Strings{"127.0.0.1/32", "::1/128"}},
        ReadCase{"Empty", "domainlist relay_to_domains =\n", "domainlist", "relay_to_domains",
                 Strings{}},
        ReadCase{"NotDefined", "domainlist local_domains = a\n", "domainlist", "relay_to_domains",
                 std::nullopt},
        ReadCase{"KindMatters", "domainlist relay_from_hosts = a\n", "hostlist", "relay_from_hosts",
                 std::nullopt},
        ReadCase{"Continued", "hostlist relay_from_hosts = 10.0.0.0/8 : \\\n# c\n  10.1.0.0/16\n",
                 "hostlist", "relay_from_hosts", Strings{"10.0.0.0/8", "10.1.0.0/16"}},
        ReadCase{"MacroDefinedBefore",
                 "NETS = 10.0.0.0/8 : 10.1.0.0/16\nhostlist relay_from_hosts = NETS : 127.0.0.1\n",
                 "hostlist", "relay_from_hosts", Strings{"10.0.0.0/8", "10.1.0.0/16", "127.0.0.1"}},
        ReadCase{"MacroDefinedAfterStaysLiteral",
                 "hostlist relay_from_hosts = NETS\nNETS = 10.0.0.0/8\n", "hostlist",
                 "relay_from_hosts", Strings{"NETS"}},
        // What update-exim4.conf generates for dc_relay_nets='' (an empty item: local clients).
        ReadCase{"DebianAutogenerated",
                 ".ifndef MAIN_RELAY_NETS\nMAIN_RELAY_NETS=: 127.0.0.1 : ::::1\n.endif\n"
                 "hostlist relay_from_hosts = MAIN_RELAY_NETS\n",
                 "hostlist", "relay_from_hosts", Strings{"", "127.0.0.1", "::1"}},
        ReadCase{"BranchesThatAgree",
                 ".ifdef X\nhostlist r = 10.0.0.0/8\n.else\nhostlist r = 10.0.0.0/8\n.endif\n",
                 "hostlist", "r", Strings{"10.0.0.0/8"}},
        ReadCase{"OnlyTheMainPart", "begin acl\nhostlist r = 10.0.0.0/8\n", "hostlist", "r",
                 std::nullopt}),
    [](const auto& info) { return info.param.name; });

TEST(ReadNamedListTest, RefusesDisagreeingDefinitions) {
  auto items = ReadNamedList(
      ".ifdef X\nhostlist r = 10.0.0.0/8\n.else\nhostlist r = 10.1.0.0/16\n"
      ".endif\n",
      "hostlist", "r", "e.conf");
  ASSERT_FALSE(items.ok());
  EXPECT_EQ(items.status().message(),
            "e.conf:4: hostlist r is defined again with other items than at line 2; cannot tell "
            "which definition is in effect");
}

TEST(ReadNamedListTest, RefusesAmbiguousMacros) {
  auto items = ReadNamedList(
      ".ifdef X\nN = 10.0.0.0/8\n.else\nN = 10.1.0.0/16\n.endif\n"
      "hostlist r = N\n",
      "hostlist", "r", "e.conf");
  ASSERT_FALSE(items.ok());
  EXPECT_EQ(items.status().message(),
            "e.conf:6: macro N is defined several times with different values; cannot tell "
            "which one the list uses");
}

TEST(ReadNamedListTest, RefusesUnknownKinds) {
  auto items = ReadNamedList("hostlist r = a\n", "netlist", "r", "e.conf");
  ASSERT_FALSE(items.ok());
  EXPECT_EQ(items.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace relayguard::agent::exim
