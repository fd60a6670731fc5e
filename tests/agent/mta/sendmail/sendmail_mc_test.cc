#include "agent/mta/sendmail/sendmail_mc.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>
#include "tests/support/line_diff.h"
#include "tests/agent/mta/sendmail/sendmail_test_files.h"

namespace relayguard::agent::sendmail {
namespace {

using ::relayguard::testing::Diff;
using ::relayguard::testing::LineDiff;
using ::relayguard::testing::Lines;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Strings = std::vector<std::string>;

using testing::kDataDir;
using testing::ReadFile;

// Debian's packages unpacked by deploy/lab/mta-root.sh; empty (and the test failed) if missing.
std::string MtaRoot() {
  const char* env = std::getenv("RELAYGUARD_MTA_ROOT");
  std::string root = env != nullptr && *env != '\0' ? env : "/var/cache/relayguard/mta-root";
  if (!std::filesystem::is_directory(root + "/usr/share/sendmail/cf/cf")) {
    ADD_FAILURE() << "no Sendmail example configurations under " << root
                  << "/usr/share/sendmail/cf/cf; run `bash deploy/lab/mta-root.sh " << root
                  << "` (or set RELAYGUARD_MTA_ROOT)";
    return "";
  }
  return root;
}

// Expects that editing `text` again changes nothing.
void ExpectIdempotent(const std::string& text, const std::string& what) {
  absl::StatusOr<SendmailEdit> again = EditSendmailMc(text, "again.mc");
  ASSERT_TRUE(again.ok()) << what << ": " << again.status();
  EXPECT_EQ(again->text, text) << what;
  EXPECT_THAT(again->changed, IsEmpty()) << what;
}

struct EditCase {
  std::string name;
  std::string before;
  std::string after;
  Strings changed;
};

class EditSendmailMcTest : public ::testing::TestWithParam<EditCase> {};

TEST_P(EditSendmailMcTest, EditsOnlyFeatureLines) {
  absl::StatusOr<SendmailEdit> edit = EditSendmailMc(GetParam().before, "/etc/mail/sendmail.mc");
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_EQ(edit->text, GetParam().after);
  EXPECT_EQ(edit->changed, GetParam().changed);
  ExpectIdempotent(edit->text, GetParam().name);
}

const char kMailers[] = "MAILER(`local')dnl\nMAILER(`smtp')dnl\n";

INSTANTIATE_TEST_SUITE_P(
    AccessDb, EditSendmailMcTest,
    ::testing::Values(
        EditCase{"InsertedBeforeFirstMailer",
                 std::string("OSTYPE(`linux')dnl\n") + kMailers,
                 std::string("OSTYPE(`linux')dnl\nFEATURE(`access_db')dnl\n") + kMailers,
                 {"FEATURE(access_db)"}},
        EditCase{"InsertedBeforeUnquotedMailer",
                 "OSTYPE(linux)\nMAILER(local)\n",
                 "OSTYPE(linux)\nFEATURE(`access_db')dnl\nMAILER(local)\n",
                 {"FEATURE(access_db)"}},
        EditCase{"AppendedWithoutMailer",
                 "OSTYPE(`linux')dnl\n",
                 "OSTYPE(`linux')dnl\nFEATURE(`access_db')dnl\n",
                 {"FEATURE(access_db)"}},
        EditCase{"AppendedKeepsMissingFinalNewline",
                 "OSTYPE(`linux')dnl",
                 "OSTYPE(`linux')dnl\nFEATURE(`access_db')dnl",
                 {"FEATURE(access_db)"}},
        EditCase{"EmptyFile", "", "FEATURE(`access_db')dnl\n", {"FEATURE(access_db)"}},
        EditCase{"CrlfInsert",
                 "OSTYPE(`linux')dnl\r\nMAILER(`smtp')dnl\r\n",
                 "OSTYPE(`linux')dnl\r\nFEATURE(`access_db')dnl\r\nMAILER(`smtp')dnl\r\n",
                 {"FEATURE(access_db)"}},
        EditCase{"DebianFormIsPresent",
                 "FEATURE(`access_db', , `skip')dnl\nMAILER(`smtp')dnl\n",
                 "FEATURE(`access_db', , `skip')dnl\nMAILER(`smtp')dnl\n",
                 {}},
        EditCase{"SkipconnectFormIsPresent",
                 "FEATURE(`access_db', , `skipconnect')dnl\nMAILER(`smtp')dnl\n",
                 "FEATURE(`access_db', , `skipconnect')dnl\nMAILER(`smtp')dnl\n",
                 {}},
        EditCase{"UnquotedIsPresent", "FEATURE(access_db)\n", "FEATURE(access_db)\n", {}},
        EditCase{"MapArgumentIsPresent",
                 "FEATURE(`access_db', `hash -T<TMPF> -o /etc/mail/access')dnl\n",
                 "FEATURE(`access_db', `hash -T<TMPF> -o /etc/mail/access')dnl\n",
                 {}},
        EditCase{
            "DoubleQuotedIsPresent", "FEATURE(``access_db'')\n", "FEATURE(``access_db'')\n", {}},
        EditCase{"SharingALineIsPresent",
                 "FEATURE(`use_cw_file')FEATURE(`access_db')dnl\n",
                 "FEATURE(`use_cw_file')FEATURE(`access_db')dnl\n",
                 {}},
        EditCase{"AfterDnlDoesNotCount",
                 "dnl FEATURE(`access_db')dnl\nMAILER(`smtp')dnl\n",
                 "dnl FEATURE(`access_db')dnl\nFEATURE(`access_db')dnl\nMAILER(`smtp')dnl\n",
                 {"FEATURE(access_db)"}},
        EditCase{"InCommentDoesNotCount",
                 "# FEATURE(`access_db')\nMAILER(`smtp')dnl\n",
                 "# FEATURE(`access_db')\nFEATURE(`access_db')dnl\nMAILER(`smtp')dnl\n",
                 {"FEATURE(access_db)"}},
        EditCase{"OtherFeatureWithPrefixDoesNotCount",
                 "FEATURE(`access_dbx')\n",
                 "FEATURE(`access_dbx')\nFEATURE(`access_db')dnl\n",
                 {"FEATURE(access_db)"}},
        EditCase{"BeforeMailerDefinitions",
                 "OSTYPE(`debian')dnl\nMAILER_DEFINITIONS\nMAILER(`local')dnl\n",
                 "OSTYPE(`debian')dnl\nFEATURE(`access_db')dnl\nMAILER_DEFINITIONS\n"
                 "MAILER(`local')dnl\n",
                 {"FEATURE(access_db)"}},
        EditCase{"BeforeGreetPause",
                 "FEATURE(`use_cw_file')dnl\nFEATURE(`greet_pause', `1000')dnl\n",
                 "FEATURE(`use_cw_file')dnl\nFEATURE(`access_db')dnl\n"
                 "FEATURE(`greet_pause', `1000')dnl\n",
                 {"FEATURE(access_db)"}},
        EditCase{"BeforeRatecontrol",
                 "FEATURE(`ratecontrol', `nodelay')dnl\n",
                 "FEATURE(`access_db')dnl\nFEATURE(`ratecontrol', `nodelay')dnl\n",
                 {"FEATURE(access_db)"}},
        EditCase{"BeforeNullclient",
                 "OSTYPE(unknown)\nFEATURE(nullclient, mailhost.$m)\n",
                 "OSTYPE(unknown)\nFEATURE(`access_db')dnl\nFEATURE(nullclient, mailhost.$m)\n",
                 {"FEATURE(access_db)"}},
        EditCase{"BeforeHackDnsblaccess",
                 "HACK(`dnsblaccess', `bl.example.net')dnl\n",
                 "FEATURE(`access_db')dnl\nHACK(`dnsblaccess', `bl.example.net')dnl\n",
                 {"FEATURE(access_db)"}},
        EditCase{"BeforeTheStatementHoldingANestedTrigger",
                 "OSTYPE(`linux')dnl\nifdef(`_SLOW_',\n`FEATURE(`greet_pause')')dnl\n",
                 "OSTYPE(`linux')dnl\nFEATURE(`access_db')dnl\nifdef(`_SLOW_',\n"
                 "`FEATURE(`greet_pause')')dnl\n",
                 {"FEATURE(access_db)"}},
        EditCase{"MailerInCommentIsNoTrigger",
                 "# MAILER(`smtp')\nOSTYPE(`linux')dnl\n",
                 "# MAILER(`smtp')\nOSTYPE(`linux')dnl\nFEATURE(`access_db')dnl\n",
                 {"FEATURE(access_db)"}}),
    [](const auto& info) { return info.param.name; });

// Each relay-opening FEATURE, alone on its line, after FEATURE(`access_db').
std::vector<EditCase> RemovalCases() {
  std::vector<EditCase> cases;
  for (absl::string_view feature : kOpenRelayFeatures) {
    const std::string f(feature);
    cases.push_back({"Quoted_" + f,
                     "FEATURE(`access_db')dnl\nFEATURE(`" + f + "')dnl\n" + kMailers,
                     std::string("FEATURE(`access_db')dnl\n") + kMailers,
                     {"-FEATURE(" + f + ")"}});
    cases.push_back({"Unquoted_" + f,
                     "FEATURE(access_db)\nFEATURE(" + f + ")\n",
                     "FEATURE(access_db)\n",
                     {"-FEATURE(" + f + ")"}});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(EveryRelayFeature, EditSendmailMcTest, ::testing::ValuesIn(RemovalCases()),
                         [](const auto& info) { return info.param.name; });

const char kHead[] = "FEATURE(`access_db')dnl\n";

INSTANTIATE_TEST_SUITE_P(
    Removal, EditSendmailMcTest,
    ::testing::Values(
        EditCase{"TrailingDnlComment",
                 std::string(kHead) + "FEATURE(`relay_based_on_MX')dnl relay for MX'd domains\n",
                 kHead,
                 {"-FEATURE(relay_based_on_MX)"}},
        EditCase{"TrailingHashComment",
                 std::string(kHead) + "FEATURE(relay_entire_domain) # x\n",
                 kHead,
                 {"-FEATURE(relay_entire_domain)"}},
        EditCase{"ApostropheAfterDnl",
                 std::string(kHead) + "FEATURE(`promiscuous_relay')dnl don't do this\n",
                 kHead,
                 {"-FEATURE(promiscuous_relay)"}},
        EditCase{"Indented",
                 std::string(kHead) + " \tFEATURE(`loose_relay_check')dnl\n",
                 kHead,
                 {"-FEATURE(loose_relay_check)"}},
        EditCase{"BlanksInsideTheCall",
                 std::string(kHead) + "FEATURE( `relay_local_from' )dnl\n",
                 kHead,
                 {"-FEATURE(relay_local_from)"}},
        EditCase{"DoubleQuoted",
                 std::string(kHead) + "FEATURE(``promiscuous_relay'')dnl\n",
                 kHead,
                 {"-FEATURE(promiscuous_relay)"}},
        EditCase{"WithArgument",
                 std::string(kHead) + "FEATURE(`relay_mail_from', `domain')dnl\n",
                 kHead,
                 {"-FEATURE(relay_mail_from)"}},
        EditCase{"Twice",
                 std::string(kHead) + "FEATURE(`promiscuous_relay')dnl\nX\n"
                                      "FEATURE(`promiscuous_relay')dnl\n",
                 std::string(kHead) + "X\n",
                 {"-FEATURE(promiscuous_relay)", "-FEATURE(promiscuous_relay)"}},
        EditCase{"RelayHostsOnlyIsKept",
                 std::string(kHead) + "FEATURE(`relay_hosts_only')dnl\n",
                 std::string(kHead) + "FEATURE(`relay_hosts_only')dnl\n",
                 {}},
        EditCase{"AfterDnlIsInactive",
                 std::string(kHead) + "dnl FEATURE(`promiscuous_relay')dnl\n",
                 std::string(kHead) + "dnl FEATURE(`promiscuous_relay')dnl\n",
                 {}},
        EditCase{"InCommentIsInactive",
                 std::string(kHead) + "# FEATURE(`promiscuous_relay')\n",
                 std::string(kHead) + "# FEATURE(`promiscuous_relay')\n",
                 {}},
        EditCase{"DnlInsideQuotesHidesIt",
                 std::string(kHead) + "define(`X', `dnl FEATURE(`promiscuous_relay')')dnl\n",
                 std::string(kHead) + "define(`X', `dnl FEATURE(`promiscuous_relay')')dnl\n",
                 {}},
        EditCase{"InsideDivertMinusOne",
                 "divert(-1)\n# header\nFEATURE(`promiscuous_relay')\ndivert(0)dnl\n"
                 "MAILER(`smtp')dnl\n",
                 "divert(-1)\n# header\ndivert(0)dnl\nFEATURE(`access_db')dnl\n"
                 "MAILER(`smtp')dnl\n",
                 {"-FEATURE(promiscuous_relay)", "FEATURE(access_db)"}},
        EditCase{"InsideQuotedIfdefBranch",
                 std::string(kHead) + "ifdef(`_OPEN_', `\nFEATURE(`promiscuous_relay')dnl\n')dnl\n",
                 std::string(kHead) + "ifdef(`_OPEN_', `\n')dnl\n",
                 {"-FEATURE(promiscuous_relay)"}},
        EditCase{"InsideUnquotedArgumentsOnItsOwnLine",
                 std::string(kHead) + "ifdef(`_OPEN_',\nFEATURE(`promiscuous_relay')\n, `')dnl\n",
                 std::string(kHead) + "ifdef(`_OPEN_',\n, `')dnl\n",
                 {"-FEATURE(promiscuous_relay)"}},
        EditCase{"LastLineWithoutNewline",
                 std::string(kHead) + "FEATURE(`promiscuous_relay')dnl",
                 "FEATURE(`access_db')dnl",
                 {"-FEATURE(promiscuous_relay)"}},
        EditCase{"CrlfRemoveAndInsert",
                 "OSTYPE(`linux')dnl\r\nFEATURE(`promiscuous_relay')dnl\r\nMAILER(`smtp')dnl\r\n",
                 "OSTYPE(`linux')dnl\r\nFEATURE(`access_db')dnl\r\nMAILER(`smtp')dnl\r\n",
                 {"-FEATURE(promiscuous_relay)", "FEATURE(access_db)"}},
        EditCase{"RemovedRelayMailFromIsNoTrigger",
                 "OSTYPE(`linux')dnl\nFEATURE(`relay_mail_from')dnl\nMAILER(`smtp')dnl\n",
                 "OSTYPE(`linux')dnl\nFEATURE(`access_db')dnl\nMAILER(`smtp')dnl\n",
                 {"-FEATURE(relay_mail_from)", "FEATURE(access_db)"}},
        EditCase{"RawCfTextIsKept",
                 std::string(kHead) + "LOCAL_RULESETS\nR$*\t$: $(dequote $1 $) don't\n"
                                      "FEATURE(`promiscuous_relay')dnl\n",
                 std::string(kHead) + "LOCAL_RULESETS\nR$*\t$: $(dequote $1 $) don't\n",
                 {"-FEATURE(promiscuous_relay)"}}),
    [](const auto& info) { return info.param.name; });

struct ErrorCase {
  std::string name;
  std::string text;
  std::string message;  // the whole error text for path "x.mc"
};

class EditSendmailMcErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(EditSendmailMcErrorTest, RefusesWithPathLineAndReason) {
  absl::StatusOr<SendmailEdit> edit = EditSendmailMc(GetParam().text, "x.mc");
  ASSERT_FALSE(edit.ok());
  EXPECT_EQ(edit.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(edit.status().message(), GetParam().message);
}

const char kNotAlone[] =
    " does not stand on a line of its own (it shares the line with other m4 text or spans "
    "lines); put it on its own line or remove it by hand — nothing was changed";

INSTANTIATE_TEST_SUITE_P(
    Texts, EditSendmailMcErrorTest,
    ::testing::Values(
        ErrorCase{"SharesALine", "define(`x', `1')FEATURE(`promiscuous_relay')dnl\n",
                  std::string("x.mc:1: FEATURE(`promiscuous_relay')") + kNotAlone},
        ErrorCase{"SharesWithAnotherFeature",
                  "OSTYPE(linux)\nFEATURE(`use_cw_file')FEATURE(relay_entire_domain)\n",
                  std::string("x.mc:2: FEATURE(`relay_entire_domain')") + kNotAlone},
        ErrorCase{"TextAfterTheCall", "FEATURE(`relay_local_from') x\n",
                  std::string("x.mc:1: FEATURE(`relay_local_from')") + kNotAlone},
        ErrorCase{"SpansLines", "FEATURE(`promiscuous_relay'\n)dnl\n",
                  std::string("x.mc:1: FEATURE(`promiscuous_relay')") + kNotAlone},
        ErrorCase{"EvaluatedInIfdefArguments", "ifdef(`X', FEATURE(`promiscuous_relay'), `')dnl\n",
                  std::string("x.mc:1: FEATURE(`promiscuous_relay')") + kNotAlone},
        ErrorCase{"DeletingWouldCloseAQuote", "ifdef(`X', `\nFEATURE(`relay_based_on_MX')dnl')\n",
                  std::string("x.mc:2: FEATURE(`relay_based_on_MX')") + kNotAlone},
        ErrorCase{"QuotedCallNeverClosed", "define(`X', `FEATURE(`promiscuous_relay'')\n",
                  "x.mc:1: FEATURE(`promiscuous_relay') is never closed — nothing was changed"},
        ErrorCase{"Msp", "OSTYPE(`linux')dnl\nFEATURE(`msp', `[127.0.0.1]')dnl\n",
                  "x.mc:2: FEATURE(`msp') makes this a mail submission (submit.mc) "
                  "configuration, not the MTA's; relayguard edits the MTA's sendmail.mc — "
                  "nothing was changed"},
        ErrorCase{"Changequote", "dnl changequote is fine here\nchangequote([,])\n",
                  "x.mc:2: changequote changes how m4 reads the rest of the file; relayguard "
                  "cannot edit it safely, edit it by hand — nothing was changed"},
        ErrorCase{"UnclosedQuote", "OSTYPE(linux)\ndefine(`x', `oops)\nMAILER(smtp)\n",
                  "x.mc:2: this quote (`) is never closed (m4 would stop with \"EOF in "
                  "string\") — nothing was changed"},
        ErrorCase{"UnclosedArguments", "OSTYPE(linux)\nFEATURE(`use_cw_file'\n",
                  "x.mc:2: this argument list is never closed (m4 would stop with \"EOF in "
                  "argument list\") — nothing was changed"}),
    [](const auto& info) { return info.param.name; });

TEST(EditSendmailMcTest, WarnsWhenDeletingInsideAConditional) {
  absl::StatusOr<SendmailEdit> edit = EditSendmailMc(
      "FEATURE(`access_db')dnl\nifdef(`_OPEN_', `\nFEATURE(`promiscuous_relay')dnl\n')dnl\n",
      "m.mc");
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_THAT(edit->warnings,
              ElementsAre("m.mc:3: deleted FEATURE(`promiscuous_relay') inside a conditional or "
                          "macro body; relayguard cannot tell whether it was in effect"));
}

TEST(EditSendmailMcTest, WarnsWhenAccessDbIsOnlyConditional) {
  const std::string text = "ifdef(`_X_', `FEATURE(`access_db')')dnl\nMAILER(`smtp')dnl\n";
  absl::StatusOr<SendmailEdit> edit = EditSendmailMc(text, "m.mc");
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_EQ(edit->text, text);  // counts as present: relayguard does not add a second one
  EXPECT_THAT(edit->warnings,
              ElementsAre("m.mc: FEATURE(`access_db') appears only inside quotes or another "
                          "macro's arguments; make sure it is in effect"));
}

TEST(EditSendmailMcTest, WarnsAboutRelayGrantsItLeavesAlone) {
  const std::string text =
      "FEATURE(`access_db')dnl\n"
      "define(`_PROMISCUOUS_RELAY_', `1')dnl\n"
      "RELAY_DOMAIN(`example.com')dnl\n"
      "RELAY_DOMAIN_FILE(`/etc/mail/relay-domains')dnl\n"
      "define(`confUSE_COMPRESSED_IPV6_ADDRESSES', `True')dnl\n"
      "define(`confCR_FILE', `/etc/mail/relay-domains')dnl\n";
  absl::StatusOr<SendmailEdit> edit = EditSendmailMc(text, "m.mc");
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_EQ(edit->text, text);
  EXPECT_THAT(edit->changed, IsEmpty());
  ASSERT_EQ(edit->warnings.size(), 4u) << ::testing::PrintToString(edit->warnings);
  EXPECT_THAT(edit->warnings[0], HasSubstr("m.mc:2: define(`_PROMISCUOUS_RELAY_') opens relaying"));
  EXPECT_THAT(edit->warnings[1], HasSubstr("m.mc:3: RELAY_DOMAIN(...) adds names to class {R}"));
  EXPECT_THAT(edit->warnings[2], HasSubstr("m.mc:4: RELAY_DOMAIN_FILE(...) adds names"));
  EXPECT_THAT(edit->warnings[3], HasSubstr("m.mc:5: confUSE_COMPRESSED_IPV6_ADDRESSES"));
}

TEST(EditSendmailMcTest, ErrorChangesNothingEvenWhenOtherFixesWerePossible) {
  // The first feature alone could be fixed; the second cannot, so nothing is returned at all.
  absl::StatusOr<SendmailEdit> edit = EditSendmailMc(
      "FEATURE(`promiscuous_relay')dnl\nOSTYPE(linux)FEATURE(`relay_entire_domain')\n", "m.mc");
  EXPECT_FALSE(edit.ok());
  EXPECT_THAT(edit.status().message(), HasSubstr("m.mc:2: FEATURE(`relay_entire_domain')"));
  EXPECT_THAT(edit.status().message(), HasSubstr("— nothing was changed"));
}

struct FeaturesCase {
  std::string text;
  Strings features;
};

class OpenRelayFeaturesTest : public ::testing::TestWithParam<FeaturesCase> {};

TEST_P(OpenRelayFeaturesTest, ListsActiveRelayFeaturesInFileOrder) {
  EXPECT_EQ(OpenRelayFeatures(GetParam().text), GetParam().features);
}

INSTANTIATE_TEST_SUITE_P(
    Texts, OpenRelayFeaturesTest,
    ::testing::Values(
        FeaturesCase{"", {}},
        FeaturesCase{"FEATURE(`access_db')dnl\nFEATURE(`relay_hosts_only')dnl\n", {}},
        FeaturesCase{"FEATURE(`relay_based_on_MX')dnl\nFEATURE(promiscuous_relay)\n",
                     {"relay_based_on_MX", "promiscuous_relay"}},
        FeaturesCase{"dnl FEATURE(`promiscuous_relay')\n# FEATURE(`relay_local_from')\n", {}},
        FeaturesCase{"ifdef(`X', `FEATURE(`relay_mail_from')')\n", {"relay_mail_from"}},
        FeaturesCase{"define(`Y', `# FEATURE(`relay_mail_from')')\n", {}},
        FeaturesCase{"OSTYPE(linux)FEATURE(`loose_relay_check')\nFEATURE(`relay_entire_domain'",
                     {"loose_relay_check", "relay_entire_domain"}},  // even when unreadable
        FeaturesCase{"divert(-1)\nFEATURE(`relay_entire_domain')\ndivert(0)\n",
                     {"relay_entire_domain"}}));

// --- The example configurations shipped in Debian's sendmail-cf package. ---

struct Expected {
  Strings removed;  // lines deleted, with their endings
  bool adds_access_db = false;
  std::string added_before;  // the line FEATURE(`access_db')dnl goes before ("" = at the end)
  std::string error;         // expected error message suffix after "PATH:"; "" = no error
};

const Expected kAddedBeforeMailerLocalDnl{{}, true, "MAILER(local)dnl\n", ""};

const std::map<std::string, Expected>& ExampleExpectations() {
  static const auto* expectations = new std::map<std::string, Expected>{
      {"chez.cs.mc", kAddedBeforeMailerLocalDnl},
      {"clientproto.mc", {{}, true, "FEATURE(nullclient, mailhost.$m)\n", ""}},
      {"cs-hpux10.mc", kAddedBeforeMailerLocalDnl},
      {"cs-hpux9.mc", kAddedBeforeMailerLocalDnl},
      {"cs-osf1.mc", kAddedBeforeMailerLocalDnl},
      {"cs-solaris2.mc", kAddedBeforeMailerLocalDnl},
      {"cs-sunos4.1.mc", kAddedBeforeMailerLocalDnl},
      {"cs-ultrix4.mc", kAddedBeforeMailerLocalDnl},
      {"cyrusproto.mc", {{}, true, "MAILER(`local')\n", ""}},
      {"generic-bsd4.4.mc", kAddedBeforeMailerLocalDnl},
      {"generic-hpux10.mc", kAddedBeforeMailerLocalDnl},
      {"generic-hpux9.mc", kAddedBeforeMailerLocalDnl},
      {"generic-linux.mc", kAddedBeforeMailerLocalDnl},
      {"generic-mpeix.mc", kAddedBeforeMailerLocalDnl},
      {"generic-nextstep3.3.mc", kAddedBeforeMailerLocalDnl},
      {"generic-osf1.mc", kAddedBeforeMailerLocalDnl},
      {"generic-solaris.mc", kAddedBeforeMailerLocalDnl},
      {"generic-sunos4.1.mc", kAddedBeforeMailerLocalDnl},
      {"generic-ultrix4.mc", kAddedBeforeMailerLocalDnl},
      {"huginn.cs.mc", kAddedBeforeMailerLocalDnl},
      {"knecht.mc", {}},  // has FEATURE(`access_db') and no relay feature
      {"mail.cs.mc", kAddedBeforeMailerLocalDnl},
      {"mail.eecs.mc", kAddedBeforeMailerLocalDnl},
      {"mailspool.cs.mc", kAddedBeforeMailerLocalDnl},
      {"python.cs.mc", kAddedBeforeMailerLocalDnl},
      {"s2k-osf1.mc", kAddedBeforeMailerLocalDnl},
      {"s2k-ultrix4.mc", kAddedBeforeMailerLocalDnl},
      {"submit.mc",
       {{},
        false,
        "",
        "26: FEATURE(`msp') makes this a mail submission (submit.mc) "
        "configuration, not the MTA's; relayguard edits the MTA's sendmail.mc — "
        "nothing was changed"}},
      {"tcpproto.mc", {{}, true, "MAILER(`local')\n", ""}},
      {"ucbarpa.mc", kAddedBeforeMailerLocalDnl},
      {"ucbvax.mc", {{}, true, "MAILER(local)\n", ""}},
      {"uucpproto.mc", {{"FEATURE(promiscuous_relay)dnl\n"}, true, "MAILER(local)dnl\n", ""}},
      {"vangogh.cs.mc", kAddedBeforeMailerLocalDnl},
  };
  return *expectations;
}

// Checks one file against its expectation: only the expected FEATURE lines differ, the new line
// sits where expected, and a second edit changes nothing.
void CheckExample(const std::string& path, const std::string& text, const Expected& want) {
  absl::StatusOr<SendmailEdit> edit = EditSendmailMc(text, path);
  if (!want.error.empty()) {
    ASSERT_FALSE(edit.ok()) << path;
    EXPECT_EQ(edit.status().message(), path + ":" + want.error);
    return;
  }
  ASSERT_TRUE(edit.ok()) << path << ": " << edit.status();
  LineDiff d = Diff(text, edit->text);
  EXPECT_EQ(d.removed, want.removed) << path;
  Strings changed;
  for (const std::string& line : want.removed) {
    const size_t open = line.find('('), close = line.find(')');
    std::string name = line.substr(open + 1, close - open - 1);
    name.erase(std::remove(name.begin(), name.end(), '`'), name.end());
    name.erase(std::remove(name.begin(), name.end(), '\''), name.end());
    changed.push_back("-FEATURE(" + name + ")");
  }
  if (want.adds_access_db) {
    EXPECT_EQ(d.added, Strings{"FEATURE(`access_db')dnl\n"}) << path;
    changed.push_back("FEATURE(access_db)");
    Strings after = Lines(edit->text);
    auto it = std::find(after.begin(), after.end(), "FEATURE(`access_db')dnl\n");
    ASSERT_NE(it, after.end()) << path;
    if (want.added_before.empty()) {
      EXPECT_EQ(it + 1, after.end()) << path;
    } else {
      ASSERT_NE(it + 1, after.end()) << path;
      EXPECT_EQ(*(it + 1), want.added_before) << path;
    }
  } else {
    EXPECT_THAT(d.added, IsEmpty()) << path;
  }
  EXPECT_EQ(edit->changed, changed) << path;
  EXPECT_THAT(OpenRelayFeatures(edit->text), IsEmpty()) << path;
  ExpectIdempotent(edit->text, path);
}

TEST(SendmailExamplesTest, EveryExampleMcEditsCleanlyOrFailsClearly) {
  const std::string root = MtaRoot();
  if (root.empty()) return;
  const std::string dir = root + "/usr/share/sendmail/cf/cf";
  Strings seen;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".mc") continue;
    const std::string name = entry.path().filename().string();
    seen.push_back(name);
    auto it = ExampleExpectations().find(name);
    if (it == ExampleExpectations().end()) {
      ADD_FAILURE() << dir << "/" << name << " is new: add its expectation to this test";
      continue;
    }
    CheckExample(entry.path().string(), ReadFile(entry.path().string()), it->second);
  }
  std::sort(seen.begin(), seen.end());
  Strings expected;
  for (const auto& [name, want] : ExampleExpectations()) expected.push_back(name);
  EXPECT_EQ(seen, expected) << "example files missing from " << dir;
}

TEST(SendmailExamplesTest, ExamplesListTheirRelayFeatures) {
  const std::string root = MtaRoot();
  if (root.empty()) return;
  const std::string dir = root + "/usr/share/sendmail/cf/cf/";
  EXPECT_EQ(OpenRelayFeatures(ReadFile(dir + "uucpproto.mc")), Strings{"promiscuous_relay"});
  EXPECT_THAT(OpenRelayFeatures(ReadFile(dir + "knecht.mc")), IsEmpty());
  EXPECT_THAT(OpenRelayFeatures(ReadFile(dir + "generic-linux.mc")), IsEmpty());
}

// Debian's template, as sendmailconfig (update_mc) installs it as /etc/mail/sendmail.mc: copied
// verbatim, with a masquerading block before "dnl # Default Mailer setup" when /etc/mailname
// exists.
std::string DebianInstalledMc(const std::string& root) {
  std::string mc = ReadFile(root + "/usr/share/sendmail/cf/debian/sendmail.mc");
  const std::string anchor = "dnl # Default Mailer setup\n";
  const size_t at = mc.find(anchor);
  EXPECT_NE(at, std::string::npos) << "Debian's sendmail.mc changed: no \"" << anchor << "\"";
  if (at == std::string::npos) return mc;
  mc.insert(at,
            "dnl # Masquerading options\nFEATURE(`always_add_domain')dnl\n"
            "MASQUERADE_AS(`example.org')dnl\nFEATURE(`allmasquerade')dnl\n"
            "FEATURE(`masquerade_envelope')dnl\ndnl #\n");
  return mc;
}

TEST(SendmailDebianTest, TemplateAndInstalledFileAreAlreadyClosed) {
  const std::string root = MtaRoot();
  if (root.empty()) return;
  const std::string path = root + "/usr/share/sendmail/cf/debian/sendmail.mc";
  for (const std::string& text : {ReadFile(path), DebianInstalledMc(root)}) {
    ASSERT_NE(text.find("FEATURE(`access_db', , `skip')dnl\n"), std::string::npos);
    absl::StatusOr<SendmailEdit> edit = EditSendmailMc(text, path);
    ASSERT_TRUE(edit.ok()) << edit.status();
    EXPECT_EQ(edit->text, text);
    EXPECT_THAT(edit->changed, IsEmpty());
    EXPECT_THAT(edit->warnings, IsEmpty());
    EXPECT_THAT(OpenRelayFeatures(text), IsEmpty());
  }
}

TEST(SendmailDebianTest, OpenedDebianFileIsClosedAgainTouchingOnlyFeatureLines) {
  const std::string root = MtaRoot();
  if (root.empty()) return;
  // An administrator dropped access_db and opened the relay.
  std::string text = DebianInstalledMc(root);
  const std::string access_db = "FEATURE(`access_db', , `skip')dnl\n";
  const size_t at = text.find(access_db);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, access_db.size(), "");
  text.insert(text.find("dnl # Masquerading options\n"),
              "FEATURE(`promiscuous_relay')dnl\nFEATURE(`relay_entire_domain')dnl # LAN\n");
  absl::StatusOr<SendmailEdit> edit = EditSendmailMc(text, "/etc/mail/sendmail.mc");
  ASSERT_TRUE(edit.ok()) << edit.status();
  LineDiff d = Diff(text, edit->text);
  EXPECT_EQ(d.removed, (Strings{"FEATURE(`promiscuous_relay')dnl\n",
                                "FEATURE(`relay_entire_domain')dnl # LAN\n"}));
  EXPECT_EQ(d.added, Strings{"FEATURE(`access_db')dnl\n"});
  // greet_pause reads the access map, so access_db goes right before it.
  EXPECT_NE(edit->text.find("dnl # provided access db for details on excluding localhosts...\n"
                            "FEATURE(`access_db')dnl\nFEATURE(`greet_pause', `1000')dnl"),
            std::string::npos);
  EXPECT_EQ(edit->changed, (Strings{"FEATURE(access_db)", "-FEATURE(promiscuous_relay)",
                                    "-FEATURE(relay_entire_domain)"}));
  ExpectIdempotent(edit->text, "opened Debian file");
}

TEST(SendmailDebianTest, DebianSubmitMcIsRefused) {
  const std::string root = MtaRoot();
  if (root.empty()) return;
  const std::string path = root + "/usr/share/sendmail/cf/debian/submit.mc";
  absl::StatusOr<SendmailEdit> edit = EditSendmailMc(ReadFile(path), path);
  ASSERT_FALSE(edit.ok());
  EXPECT_THAT(edit.status().message(), HasSubstr(path + ":"));
  EXPECT_THAT(edit.status().message(), HasSubstr("FEATURE(`msp') makes this a mail submission"));
}

// --- relayguard's own tricky files. ---

struct GoldenCase {
  std::string input;     // under tests/data/sendmail
  std::string expected;  // the edited file
  Strings changed;
  size_t warnings = 0;
};

class SendmailMcGoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(SendmailMcGoldenTest, EditsToTheGoldenFile) {
  const std::string input = ReadFile(kDataDir + "/" + GetParam().input);
  absl::StatusOr<SendmailEdit> edit = EditSendmailMc(input, GetParam().input);
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_EQ(edit->text, ReadFile(kDataDir + "/" + GetParam().expected));
  EXPECT_EQ(edit->changed, GetParam().changed);
  EXPECT_EQ(edit->warnings.size(), GetParam().warnings) << ::testing::PrintToString(edit->warnings);
  ExpectIdempotent(edit->text, GetParam().input);
}

INSTANTIATE_TEST_SUITE_P(
    Files, SendmailMcGoldenTest,
    ::testing::Values(GoldenCase{"open-relay.mc",
                                 "open-relay.mc.golden",
                                 {"-FEATURE(relay_entire_domain)", "-FEATURE(promiscuous_relay)",
                                  "FEATURE(access_db)", "-FEATURE(relay_based_on_MX)"},
                                 2},
                      GoldenCase{"crlf-open-relay.mc",
                                 "crlf-open-relay.mc.golden",
                                 {"-FEATURE(promiscuous_relay)", "FEATURE(access_db)"},
                                 0}),
    [](const auto& info) {
      std::string name = info.param.input;
      name.erase(std::remove_if(name.begin(), name.end(), [](char c) { return !std::isalnum(c); }),
                 name.end());
      return name;
    });

TEST(SendmailMcGoldenTest, CrlfFixtureReallyIsCrlf) {
  const std::string text = ReadFile(kDataDir + "/crlf-open-relay.mc");
  ASSERT_FALSE(text.empty());
  size_t lf = std::count(text.begin(), text.end(), '\n');
  EXPECT_EQ(lf, static_cast<size_t>(std::count(text.begin(), text.end(), '\r')));
}

}  // namespace
}  // namespace relayguard::agent::sendmail
