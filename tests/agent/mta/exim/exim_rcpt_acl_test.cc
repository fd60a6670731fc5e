// The RCPT ACL rules (agent/mta/exim/exim_rcpt_acl.cc), driven through EditRcptAcl on conf.d
// style fragments, and on Debian's real acl/30_exim4-config_check_rcpt.
#include "agent/mta/exim/exim_rcpt_acl.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/mta/exim/exim_conf.h"
#include "tests/agent/mta/exim/exim_test_files.h"

namespace relayguard::agent::exim {
namespace {

using testing::Diff;
using testing::LineDiff;
using testing::ReadDebian;
using testing::Strings;

constexpr char kRequire[] =
    "  require message = relay not permitted\n"
    "          domains = +local_domains : +relay_to_domains\n";
constexpr char kDeny[] =
    "  deny    message = relay not permitted\n"
    "         !domains = +local_domains : +relay_to_domains\n"
    "         !hosts = +relay_from_hosts\n"
    "         !authenticated = *\n";

std::string Disabled(const std::string& line) { return std::string(kDisabledPrefix) + line; }

struct AclCase {
  std::string name;
  std::string before;
  std::string after;  // == before: nothing to do
  Strings changed;
  size_t warnings = 0;
};

class RcptAclTest : public ::testing::TestWithParam<AclCase> {};

TEST_P(RcptAclTest, EditsOnlyWhatTheRulesName) {
  const AclCase& c = GetParam();
  absl::StatusOr<EximEdit> edit = EditRcptAcl(c.before, "acl_check_rcpt", "acl.conf");
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_EQ(edit->text, c.after);
  EXPECT_EQ(edit->changed, c.changed);
  EXPECT_EQ(edit->warnings.size(), c.warnings) << ::testing::PrintToString(edit->warnings);
}

TEST_P(RcptAclTest, IsIdempotent) {
  absl::StatusOr<EximEdit> once = EditRcptAcl(GetParam().before, "acl_check_rcpt", "acl.conf");
  ASSERT_TRUE(once.ok()) << once.status();
  absl::StatusOr<EximEdit> twice = EditRcptAcl(once->text, "acl_check_rcpt", "acl.conf");
  ASSERT_TRUE(twice.ok()) << twice.status();
  EXPECT_EQ(twice->text, once->text);
  EXPECT_EQ(twice->changed, Strings{});
}

const std::string kHeader = "acl_check_rcpt:\n";

INSTANTIATE_TEST_SUITE_P(
    Fragments, RcptAclTest,
    ::testing::Values(
        AclCase{"DebianOrderIsAlreadySafe",
                kHeader +
                    "  accept hosts = :\n  accept hosts = +relay_from_hosts\n"
                    "  accept authenticated = *\n" +
                    kRequire + "  accept\n",
                kHeader +
                    "  accept hosts = :\n  accept hosts = +relay_from_hosts\n"
                    "  accept authenticated = *\n" +
                    kRequire + "  accept\n",
                {}},
        AclCase{"RequireToleratesOrderAndSpacing",
                kHeader + "  require domains=+relay_to_domains:+local_domains\n  accept\n",
                kHeader + "  require domains=+relay_to_domains:+local_domains\n  accept\n",
                {}},
        AclCase{"RequireOfLocalDomainsAloneCounts",
                kHeader + "  require domains = +local_domains\n  accept\n",
                kHeader + "  require domains = +local_domains\n  accept\n",
                {}},
        AclCase{"DenyFormWithTrustedExceptions",
                kHeader + "  accept hosts = :\n  deny message = relay not permitted\n"
                          "       !hosts = +relay_from_hosts\n       !authenticated = *\n"
                          "       !domains = +local_domains : +relay_to_domains\n  accept\n",
                kHeader + "  accept hosts = :\n  deny message = relay not permitted\n"
                          "       !hosts = +relay_from_hosts\n       !authenticated = *\n"
                          "       !domains = +local_domains : +relay_to_domains\n  accept\n",
                {}},
        AclCase{"DenyWithRightHandNegation",
                kHeader + "  drop domains = ! +local_domains : !+relay_to_domains\n  accept\n",
                kHeader + "  drop domains = ! +local_domains : !+relay_to_domains\n  accept\n",
                {}},
        AclCase{"AcceptsRestrictedToLocalOrRelayDomainsAreSafe",
                kHeader +
                    "  accept local_parts = postmaster\n"
                    "         domains = +local_domains : +relay_to_domains\n"
                    "  accept domains = +relay_to_domains\n         endpass\n"
                    "         verify = recipient\n" +
                    kRequire,
                kHeader +
                    "  accept local_parts = postmaster\n"
                    "         domains = +local_domains : +relay_to_domains\n"
                    "  accept domains = +relay_to_domains\n         endpass\n"
                    "         verify = recipient\n" +
                    kRequire,
                {}},
        AclCase{"InsertsBeforeTheFirstUnrestrictedAccept",
                kHeader + "  accept hosts = :\n  accept domains = +local_domains\n"
                          "  deny senders = *@spam.example\n  accept verify = recipient\n"
                          "  accept\n",
                kHeader +
                    "  accept hosts = :\n  accept domains = +local_domains\n"
                    "  deny senders = *@spam.example\n" +
                    kRequire + "  accept verify = recipient\n  accept\n",
                {"acl_check_rcpt relay rule"}},
        AclCase{"DenyWithAnotherConditionIsNoCheck",
                kHeader + "  deny !domains = +local_domains : +relay_to_domains\n"
                          "       senders = *@partner.example\n  accept\n",
                kHeader +
                    "  deny !domains = +local_domains : +relay_to_domains\n"
                    "       senders = *@partner.example\n" +
                    kRequire + "  accept\n",
                {"acl_check_rcpt relay rule"}},
        AclCase{
            "TrustedAcceptLaterGetsTheDenyForm",
            kHeader + "  accept verify = recipient\n  accept hosts = +relay_from_hosts\n",
            kHeader + kDeny + "  accept verify = recipient\n  accept hosts = +relay_from_hosts\n",
            {"acl_check_rcpt relay rule"}},
        AclCase{"WithoutAnyAcceptInsertsAtTheEnd",
                kHeader + "  accept hosts = +relay_from_hosts\n  deny message = go away\n"
                          "# about the next ACL\n\nacl_other:\n  accept\n",
                kHeader + "  accept hosts = +relay_from_hosts\n  deny message = go away\n" +
                    kRequire + "# about the next ACL\n\nacl_other:\n  accept\n",
                {"acl_check_rcpt relay rule"}},
        AclCase{"EmptyAcl",
                kHeader + "\nacl_other:\n  accept\n",
                kHeader + kRequire + "\nacl_other:\n  accept\n",
                {"acl_check_rcpt relay rule"}},
        AclCase{"UsesTheStatementsIndentation",
                kHeader + "accept hosts = :\naccept\n",
                kHeader + "accept hosts = :\nrequire message = relay not permitted\n"
                          "        domains = +local_domains : +relay_to_domains\naccept\n",
                {"acl_check_rcpt relay rule"}},
        AclCase{"OpenAcceptBeforeTheCheckIsDisabled",
                kHeader + "  accept hosts = :\n  accept\n" + kRequire + "  accept\n",
                kHeader + "  accept hosts = :\n" + Disabled("  accept\n") + kRequire + "  accept\n",
                {"acl_check_rcpt open accept (line 3)"},
                1},
        AclCase{"AcceptHostsStarIsOpen",
                kHeader + "  accept  hosts = *\n          control = submission\n" + kDeny,
                kHeader + Disabled("  accept  hosts = *\n") +
                    Disabled("          control = submission\n") + kDeny,
                {"acl_check_rcpt open accept (line 2)"},
                1},
        AclCase{"AcceptEveryNetworkIsOpen",
                kHeader + "  accept hosts = <; 0.0.0.0/0 ; ::/0\n" + kRequire,
                kHeader + Disabled("  accept hosts = <; 0.0.0.0/0 ; ::/0\n") + kRequire,
                {"acl_check_rcpt open accept (line 2)"},
                1},
        AclCase{"DisablesEveryPhysicalLineOfAContinuedStatement",
                kHeader + "  accept logwrite = from \\\n      $sender_host_address\n" + kRequire,
                kHeader + Disabled("  accept logwrite = from \\\n") +
                    Disabled("      $sender_host_address\n") + kRequire,
                {"acl_check_rcpt open accept (line 2)"},
                1},
        AclCase{"OpenAcceptWithoutACheckGetsOneInFront",
                kHeader + "  accept hosts = :\n  accept\n",
                kHeader + "  accept hosts = :\n" + kRequire + "  accept\n",
                {"acl_check_rcpt relay rule"}},
        // Everyone but the trusted hosts: strangers, so it is disabled like an open accept.
        AclCase{"NegatedRestrictionDoesNotRestrict",
                kHeader + "  accept !hosts = +relay_from_hosts\n" + kRequire,
                kHeader + Disabled("  accept !hosts = +relay_from_hosts") + "\n" + kRequire,
                {"acl_check_rcpt open accept (line 2)"},
                1},
        AclCase{"RestrictionInsideIfdefDoesNotRestrict",
                kHeader + "  accept\n.ifdef STRICT\n         hosts = +relay_from_hosts\n.endif\n" +
                    kRequire,
                kHeader + kRequire +
                    "  accept\n.ifdef STRICT\n         hosts = +relay_from_hosts\n.endif\n" +
                    kRequire,
                {"acl_check_rcpt relay rule"}},
        AclCase{"IncludeCouldAccept",
                kHeader + "  .include /etc/exim4/local_rcpt_acl\n" + kRequire,
                kHeader + kRequire + "  .include /etc/exim4/local_rcpt_acl\n" + kRequire,
                {"acl_check_rcpt relay rule"}},
        AclCase{"MacroStandingAloneCouldAccept",
                kHeader + "  LOCAL_RCPT_RULES\n" + kRequire,
                kHeader + kRequire + "  LOCAL_RCPT_RULES\n" + kRequire,
                {"acl_check_rcpt relay rule"}},
        AclCase{"HoistsAboveAnIfdefBlockWithoutAccepts",
                kHeader + "  accept hosts = :\n.ifdef PARTNERS\n  warn log_message = partner\n"
                          "  accept senders = *@partner.example\n.endif\n  accept\n",
                kHeader + "  accept hosts = :\n" + kRequire +
                    ".ifdef PARTNERS\n  warn log_message = partner\n"
                    "  accept senders = *@partner.example\n.endif\n  accept\n",
                {"acl_check_rcpt relay rule"}},
        AclCase{"HoistsAboveTheWholeBlockFromAnElseBranch",
                kHeader + ".ifdef X\n  deny senders = a@b.example\n.else\n  accept\n.endif\n",
                kHeader + kRequire +
                    ".ifdef X\n  deny senders = a@b.example\n.else\n  accept\n"
                    ".endif\n",
                {"acl_check_rcpt relay rule"}},
        AclCase{"DoesNotHoistAboveAnAccept",
                kHeader +
                    ".ifdef PARTNERS\n  accept hosts = +relay_from_hosts\n"
                    "  accept senders = *@partner.example\n.endif\n" +
                    kRequire + "  accept\n",
                kHeader + ".ifdef PARTNERS\n  accept hosts = +relay_from_hosts\n" + kRequire +
                    "  accept senders = *@partner.example\n.endif\n" + kRequire + "  accept\n",
                {"acl_check_rcpt relay rule"}},
        AclCase{"CheckInABranchDoesNotCoverTheTopLevel",
                kHeader + ".ifdef STRICT\n" + kRequire + ".endif\n  accept\n",
                kHeader + ".ifdef STRICT\n" + kRequire + ".endif\n" + kRequire + "  accept\n",
                {"acl_check_rcpt relay rule"}},
        AclCase{"CheckInABranchCoversThatBranch",
                kHeader + ".ifdef STRICT\n" + kRequire + "  accept\n.endif\n",
                kHeader + ".ifdef STRICT\n" + kRequire + "  accept\n.endif\n",
                {}},
        AclCase{"EndOfAclAfterClosingEndif",
                kHeader + ".ifdef X\n  deny senders = a@b.example\n.endif\n\nacl_other:\n",
                kHeader + ".ifdef X\n  deny senders = a@b.example\n.endif\n" + kRequire +
                    "\nacl_other:\n",
                {"acl_check_rcpt relay rule"}},
        AclCase{"MacroDefinitionEndsTheAcl",
                kHeader + "  accept hosts = :\nMACRO = x\nacl_other:\n  accept\n",
                kHeader + "  accept hosts = :\n" + kRequire + "MACRO = x\nacl_other:\n  accept\n",
                {"acl_check_rcpt relay rule"}},
        AclCase{"CrlfStaysCrlf",
                "acl_check_rcpt:\r\n  accept hosts = :\r\n  accept\r\n",
                "acl_check_rcpt:\r\n  accept hosts = :\r\n  require message = relay not "
                "permitted\r\n          domains = +local_domains : +relay_to_domains\r\n"
                "  accept\r\n",
                {"acl_check_rcpt relay rule"}},
        AclCase{"NoFinalNewlineStaysMissing",
                "acl_check_rcpt:\n  accept hosts = :",
                "acl_check_rcpt:\n  accept hosts = :\n  require message = relay not permitted\n"
                "          domains = +local_domains : +relay_to_domains",
                {"acl_check_rcpt relay rule"}}),
    [](const auto& info) { return info.param.name; });

struct AclErrorCase {
  std::string name;
  std::string text;
  std::string message;
};

class RcptAclErrorTest : public ::testing::TestWithParam<AclErrorCase> {};

TEST_P(RcptAclErrorTest, RefusesWhatItCannotEditSafely) {
  absl::StatusOr<EximEdit> edit = EditRcptAcl(GetParam().text, "acl_check_rcpt", "acl.conf");
  ASSERT_FALSE(edit.ok());
  EXPECT_EQ(edit.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(edit.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Fragments, RcptAclErrorTest,
    ::testing::Values(
        AclErrorCase{"NotDefined", "acl_other:\n  accept\n",
                     "acl.conf: ACL \"acl_check_rcpt\" is not defined in this file — nothing was "
                     "changed"},
        AclErrorCase{"OnlyOutsideTheAclPart", "acl_check_rcpt:\nbegin acl\nacl_other:\n  accept\n",
                     "acl.conf: ACL \"acl_check_rcpt\" is not defined in this file — nothing was "
                     "changed"},
        AclErrorCase{"DefinedTwice", "acl_check_rcpt:\n  accept\nacl_check_rcpt:\n  deny\n",
                     "acl.conf:3: ACL acl_check_rcpt: defined twice (first at line 1) — nothing "
                     "was changed"},
        AclErrorCase{"ConditionBeforeAnyVerb", kHeader + "  hosts = :\n",
                     "acl.conf:2: ACL acl_check_rcpt: \"hosts = :\" does not follow a verb — "
                     "nothing was changed"},
        AclErrorCase{"NegatedVerb", kHeader + "  !accept\n",
                     "acl.conf:2: ACL acl_check_rcpt: a verb cannot be negated: \"!accept\" — "
                     "nothing was changed"},
        AclErrorCase{"MissingEquals", kHeader + "  accept hosts +relay_from_hosts\n",
                     "acl.conf:2: ACL acl_check_rcpt: expected \"=\" after \"hosts\" — nothing "
                     "was changed"},
        AclErrorCase{"StatementAcrossAnElse",
                     kHeader + ".ifdef X\n  accept hosts = 192.0.2.1\n.else\n    domains = b\n"
                               ".endif\n",
                     "acl.conf:5: ACL acl_check_rcpt: the statement of line 3 continues across "
                     "an .ifdef/.else/.endif boundary — nothing was changed"},
        AclErrorCase{"StatementOutOfItsBlock",
                     ".ifdef X\n" + kHeader + "  accept hosts = :\n.endif\n  accept\n",
                     "acl.conf:5: ACL acl_check_rcpt: this line is outside the .ifdef block the "
                     "ACL starts in — nothing was changed"},
        AclErrorCase{"EndsInsideAnIfdefBlock",
                     kHeader + ".ifdef X\n  deny senders = a@b.example\nacl_other:\n  accept\n"
                               ".endif\n",
                     "acl.conf:3: ACL acl_check_rcpt: ends inside an .ifdef block; cannot find "
                     "a safe place for the relay check — nothing was changed"},
        AclErrorCase{"UnbalancedEndif", kHeader + "  accept\n.endif\n",
                     "acl.conf:3: \".endif\" without a matching .ifdef — nothing was changed"}),
    [](const auto& info) { return info.param.name; });

// Debian's split ACL file, unchanged and with its relay check taken away or an open accept added.
const char kDebianRcptAcl[] = "etc/exim4/conf.d/acl/30_exim4-config_check_rcpt";
const char kDebianRequire[] =
    "  require\n"
    "    message = relay not permitted\n"
    "    domains = +local_domains : +relay_to_domains\n";

TEST(DebianRcptAclTest, IsAlreadySafe) {
  std::string text = ReadDebian(kDebianRcptAcl);
  ASSERT_FALSE(text.empty());
  absl::StatusOr<EximEdit> edit = EditRcptAcl(text, "acl_check_rcpt", kDebianRcptAcl);
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_EQ(edit->text, text);
  EXPECT_EQ(edit->changed, Strings{});
  EXPECT_EQ(edit->warnings, Strings{});
}

TEST(DebianRcptAclTest, WithoutItsRelayCheckGetsOneBeforeTheLocalAclHook) {
  std::string text = ReadDebian(kDebianRcptAcl);
  size_t at = text.find(kDebianRequire);
  ASSERT_NE(at, std::string::npos) << "Debian's relay check is no longer where it was";
  text.erase(at, std::string(kDebianRequire).size());
  absl::StatusOr<EximEdit> edit = EditRcptAcl(text, "acl_check_rcpt", kDebianRcptAcl);
  ASSERT_TRUE(edit.ok()) << edit.status();
  // The .include of CHECK_RCPT_LOCAL_ACL_FILE could accept anything, and the .ifdef around it
  // holds nothing else: the check goes right above that block.
  EXPECT_NE(edit->text.find("  # accessed. This doesn't happen if you leave the macro unset.\n" +
                            std::string(kRequire) + "  .ifdef CHECK_RCPT_LOCAL_ACL_FILE\n"),
            std::string::npos);
  LineDiff d = Diff(text, edit->text);
  EXPECT_EQ(d.removed, Strings{});
  EXPECT_EQ(d.added, testing::Lines(kRequire));
  EXPECT_EQ(edit->changed, Strings{"acl_check_rcpt relay rule"});
}

TEST(DebianRcptAclTest, OpenAcceptAddedAfterLocalSubmissionsIsDisabled) {
  std::string text = ReadDebian(kDebianRcptAcl);
  const std::string local = "  accept\n    hosts = :\n    control = dkim_disable_verify\n";
  size_t at = text.find(local);
  ASSERT_NE(at, std::string::npos);
  text.insert(at + local.size(), "  accept\n    control = dkim_disable_verify\n");
  absl::StatusOr<EximEdit> edit = EditRcptAcl(text, "acl_check_rcpt", kDebianRcptAcl);
  ASSERT_TRUE(edit.ok()) << edit.status();
  LineDiff d = Diff(text, edit->text);
  EXPECT_EQ(d.removed, (Strings{"  accept\n", "    control = dkim_disable_verify\n"}));
  EXPECT_EQ(d.added,
            (Strings{Disabled("  accept\n"), Disabled("    control = dkim_disable_verify\n")}));
  ASSERT_EQ(edit->changed.size(), 1u);
  EXPECT_TRUE(edit->changed[0].starts_with("acl_check_rcpt open accept (line "));
  ASSERT_EQ(edit->warnings.size(), 1u);
  EXPECT_NE(edit->warnings[0].find("open relay"), std::string::npos);
}

}  // namespace
}  // namespace relayguard::agent::exim
