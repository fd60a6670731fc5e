// The per-listener judgement and fix on configuration text: what opens each listener, the exact
// edit that closes it, what is kept, and that fixing twice changes nothing.
#include "agent/mta/postfix/relay_fix.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/agent/mta/postfix/postfix_fakes.h"

namespace relayguard::agent::postfix {
namespace {

using ::testing::HasSubstr;
using Strings = std::vector<std::string>;
using testing::FakeConfig;
using testing::FakeJudge;
using testing::FakeTableReader;

NameResolvers Resolvers() {
  NameResolvers r;
  r.port = [](const std::string&) { return std::nullopt; };
  r.host = [](const std::string&) -> absl::StatusOr<std::vector<IpAddress>> {
    return absl::NotFoundError("no DNS in tests");
  };
  return r;
}

Policy TrustLocalhost() {
  Policy p;
  p.name = "t";
  p.version = 1;
  p.trusted_networks = {*ParseCidr("127.0.0.1/32")};
  return p;
}

FakeTableReader& Tables() {
  static FakeTableReader* tables = [] {
    auto* t = new FakeTableReader;
    t->Add("cidr:/etc/postfix/clients.cidr", "/etc/postfix/clients.cidr",
           {{1, "0.0.0.0/0", "OK", {}}});
    t->Add("cidr:/etc/postfix/partners.cidr", "/etc/postfix/partners.cidr",
           {{1, "127.0.0.5", "OK", {}}, {2, "192.0.2.66", "REJECT", {}}});
    return t;
  }();
  return *tables;
}

struct Fixed {
  std::string main, master;
  FixResult result;
};

Fixed Fix(const std::string& main, const std::string& master, const Policy& policy,
          PostfixVersion version = {3, 7, 11}) {
  PostfixConfig config = FakeConfig(main, master, version);
  absl::StatusOr<std::vector<PostfixListener>> listeners = DeriveListeners(config, Resolvers());
  EXPECT_TRUE(listeners.ok()) << listeners.status();
  if (!listeners.ok()) return {};
  std::vector<Listener> plain;
  for (const PostfixListener& l : *listeners) plain.push_back(l.listener);
  MarkInternalListeners(policy.probe, plain);
  for (size_t i = 0; i < plain.size(); ++i) (*listeners)[i].listener.internal = plain[i].internal;
  FixResult r = FixListeners(config, *listeners, policy, TableAccess{Tables(), FakeJudge});
  return {config.main_cf.Render(), config.master_cf.Render(), r};
}

struct Case {
  std::string name;
  std::string main, master;
  std::string want_main, want_master;  // "" = unchanged
  Strings changed;
  bool require_auth = false;
  PostfixVersion version = {3, 7, 11};
};

class FixListenersTest : public ::testing::TestWithParam<Case> {};

TEST_P(FixListenersTest, EditsOnlyWhatOpensTheRelayAndIsIdempotent) {
  const Case& c = GetParam();
  Policy policy = TrustLocalhost();
  policy.require_auth = c.require_auth;
  policy.probe.internal_listeners = {*ParseSmtpEndpoint("127.0.0.1:10025")};
  Fixed f = Fix(c.main, c.master, policy, c.version);
  EXPECT_EQ(f.result.unfixable, Strings{});
  EXPECT_EQ(f.main, c.want_main.empty() ? c.main : c.want_main);
  EXPECT_EQ(f.master, c.want_master.empty() ? c.master : c.want_master);
  EXPECT_EQ(f.result.changed, c.changed);
  Fixed again = Fix(f.main, f.master, policy, c.version);
  EXPECT_EQ(again.main, f.main);
  EXPECT_EQ(again.master, f.master);
  EXPECT_EQ(again.result.changed, Strings{});
  EXPECT_TRUE(again.result.drift.empty());
}

constexpr const char* kSmtp = "smtp inet n - n - - smtpd\n";

INSTANTIATE_TEST_SUITE_P(
    Shapes, FixListenersTest,
    ::testing::Values(
        Case{"PermitRemoved",
             "smtpd_relay_restrictions = permit_mynetworks, permit, reject_unauth_destination\n",
             kSmtp,
             "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n",
             "",
             {"main.cf:1 smtpd_relay_restrictions"}},
        Case{"MultiLinePermitRemovedAsOneLine",
             "x = 1\nsmtpd_relay_restrictions = permit_mynetworks,\n    permit,\n"
             "    reject_unauth_destination\n",
             kSmtp,
             "x = 1\nsmtpd_relay_restrictions = permit_mynetworks,\n"
             "    reject_unauth_destination\n",
             "",
             {"main.cf:2 smtpd_relay_restrictions"}},
        Case{"CrlfKept",
             "smtpd_relay_restrictions = permit_mynetworks,\r\n    permit,\r\n"
             "    defer_unauth_destination\r\n",
             kSmtp,
             "smtpd_relay_restrictions = permit_mynetworks,\r\n    reject_unauth_destination\r\n",
             "",
             {"main.cf:1 smtpd_relay_restrictions"}},
        Case{"DefaultListGetsWrittenWithReject",
             "biff = no\n",
             kSmtp,
             "biff = no\nsmtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, "
             "reject_unauth_destination\n",
             "",
             {"main.cf smtpd_relay_restrictions (added)"}},
        Case{"OverrideMynetworksRemoved",
             "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n",
             "smtp inet n - n - - smtpd\n  -o mynetworks=0.0.0.0/0\n  -o syslog_name=x\n",
             "",
             "smtp inet n - n - - smtpd\n  -o syslog_name=x\n",
             {"master.cf:2 smtp/inet -o mynetworks"}},
        Case{"GrantingTableMovedAfterClosing",
             "smtpd_relay_restrictions = permit_mynetworks,\n"
             "    check_client_access cidr:/etc/postfix/clients.cidr,\n"
             "    reject_unauth_destination\n",
             kSmtp,
             "smtpd_relay_restrictions = permit_mynetworks,\n    reject_unauth_destination,\n"
             "    check_client_access cidr:/etc/postfix/clients.cidr\n",
             "",
             {"main.cf:1 smtpd_relay_restrictions"}},
        Case{"NarrowPartnerTableKept",
             "smtpd_relay_restrictions = permit_mynetworks, check_client_access "
             "cidr:/etc/postfix/partners.cidr, reject_unauth_destination\n",
             kSmtp,
             "",
             "",
             {}},
        Case{"UnreadableTableAfterClosingIsNoProblem",
             "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination, "
             "check_client_access ldap:/etc/postfix/ldap.cf\n",
             kSmtp,
             "",
             "",
             {}},
        Case{
            "RestrictionClassThatPermitsMoved",
            "smtpd_restriction_classes = open_class\nopen_class = permit\n"
            "smtpd_relay_restrictions = permit_mynetworks, open_class, reject_unauth_destination\n",
            kSmtp,
            "smtpd_restriction_classes = open_class\nopen_class = permit\n"
            "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination, open_class\n",
            "",
            {"main.cf:3 smtpd_relay_restrictions"}},
        Case{"ReferencedListEditedWhereWritten",
             "extra = permit\nsmtpd_relay_restrictions = permit_mynetworks, $extra, "
             "reject_unauth_destination\n",
             kSmtp,
             "extra =\nsmtpd_relay_restrictions = permit_mynetworks, $extra, "
             "reject_unauth_destination\n",
             "",
             {"main.cf:1 extra"}},
        Case{"MuaIndirectionEditsTheMainCfParameter",
             "mua_relay_restrictions = permit_sasl_authenticated, permit\n",
             "submission inet n - n - - smtpd\n"
             "  -o smtpd_relay_restrictions=$mua_relay_restrictions\n",
             "mua_relay_restrictions = permit_sasl_authenticated, reject\n",
             "",
             {"main.cf:1 mua_relay_restrictions"}},
        Case{"SubmissionOverrideGetsSubmissionRules",
             "",
             "submission inet n - n - - smtpd\n  -o smtpd_relay_restrictions=permit\n",
             "",
             "submission inet n - n - - smtpd\n"
             "  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n",
             {"master.cf:2 submission/inet -o smtpd_relay_restrictions"}},
        Case{"EmptyRelayListEditsTheRecipientList",
             "",
             "submission inet n - n - - smtpd\n  -o smtpd_relay_restrictions=\n"
             "  -o { smtpd_recipient_restrictions = permit_sasl_authenticated, permit }\n",
             "",
             "submission inet n - n - - smtpd\n  -o smtpd_relay_restrictions=\n"
             "  -o { smtpd_recipient_restrictions = permit_sasl_authenticated, reject }\n",
             {"master.cf:3 submission/inet -o smtpd_recipient_restrictions"}},
        Case{"RelayListenerThatRelayedThroughPermitKeepsTrustedRelaying",
             "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n",
             "2525 inet n - n - - smtpd -o "
             "smtpd_relay_restrictions=permit,reject_unauth_destination\n",
             "",
             "2525 inet n - n - - smtpd "
             "-o smtpd_relay_restrictions=permit_mynetworks,reject_unauth_destination\n",
             {"master.cf:1 2525/inet -o smtpd_relay_restrictions"}},
        Case{"PostscreenPassServiceIsWhereRulesAre",
             "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n",
             "smtp inet n - n - 1 postscreen\nsmtpd pass - - n - - smtpd\n"
             "  -o mynetworks=0.0.0.0/0\n",
             "",
             "smtp inet n - n - 1 postscreen\nsmtpd pass - - n - - smtpd\n",
             {"master.cf:3 smtpd/pass -o mynetworks"}},
        Case{
            "InternalListenerIsNeverEdited",
            "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n",
            "smtp inet n - n - - smtpd\n127.0.0.1:10025 inet n - n - - smtpd\n"
            "  -o mynetworks=127.0.0.0/8\n  -o smtpd_relay_restrictions=permit_mynetworks,reject\n",
            "",
            "",
            {}},
        Case{"RequireAuthDropsPermitMynetworks",
             "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, "
             "reject_unauth_destination\n",
             kSmtp,
             "smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination\n",
             "",
             {"main.cf:1 smtpd_relay_restrictions"},
             true},
        Case{"Before210TheRecipientListDecides",
             "smtpd_recipient_restrictions = permit_mynetworks, permit, reject_rbl_client "
             "zen.example, reject_unauth_destination\n",
             kSmtp,
             "smtpd_recipient_restrictions = permit_mynetworks, reject_rbl_client zen.example, "
             "reject_unauth_destination\n",
             "",
             {"main.cf:1 smtpd_recipient_restrictions"},
             false,
             {2, 9, 6}},
        Case{"XclientOverrideRemoved",
             "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n",
             "smtp inet n - n - - smtpd\n  -o smtpd_authorized_xclient_hosts=0.0.0.0/0\n",
             "",
             kSmtp,
             {"master.cf:2 smtp/inet -o smtpd_authorized_xclient_hosts"}},
        Case{"XclientEntriesThatHoldStrangersRemoved",
             "mynetworks = 127.0.0.1/32\n"
             "smtpd_authorized_xclient_hosts = $mynetworks, 192.0.2.7, 10.0.0.0/8\n"
             "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n",
             kSmtp,
             "mynetworks = 127.0.0.1/32\nsmtpd_authorized_xclient_hosts = $mynetworks, 192.0.2.7\n"
             "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n",
             "",
             {"main.cf:2 smtpd_authorized_xclient_hosts"}},
        Case{"Before210NoClosingElementGetsOne",
             "smtpd_recipient_restrictions = permit_mynetworks\n",
             kSmtp,
             "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n",
             "",
             {"main.cf:1 smtpd_recipient_restrictions"},
             false,
             {2, 9, 6}}),
    [](const auto& info) { return info.param.name; });

TEST(FixListenersTest, ReportsKeptGrantsAndMoves) {
  Fixed kept = Fix(
      "smtpd_relay_restrictions = permit_mynetworks, check_client_access "
      "cidr:/etc/postfix/partners.cidr, reject_unauth_destination\n",
      "smtp inet n - n - - smtpd\n  -o mynetworks=127.0.0.1/32,192.0.2.0/24\n", TrustLocalhost());
  EXPECT_THAT(kept.result.kept,
              ::testing::UnorderedElementsAre(
                  "/etc/postfix/master.cf:2: smtp/inet -o mynetworks grants 192.0.2.0/24 "
                  "(kept: narrow)",
                  "/etc/postfix/partners.cidr:1: check_client_access "
                  "cidr:/etc/postfix/partners.cidr grants 127.0.0.5 (kept: narrow: "
                  "127.0.0.5/32)"));
  Fixed moved =
      Fix("smtpd_relay_restrictions = permit_mynetworks, check_client_access "
          "cidr:/etc/postfix/clients.cidr, reject_unauth_destination\n",
          kSmtp, TrustLocalhost());
  ASSERT_EQ(moved.result.warnings.size(), 1u);
  EXPECT_THAT(moved.result.warnings[0], HasSubstr("/etc/postfix/main.cf:1: moved "
                                                  "check_client_access cidr:/etc/postfix/"
                                                  "clients.cidr after reject_unauth_destination"));
  EXPECT_THAT(moved.result.warnings[0], HasSubstr("/etc/postfix/clients.cidr:1"));
  ASSERT_EQ(moved.result.drift.size(), 1u);
  EXPECT_EQ(moved.result.drift[0].listener, "127.0.0.1:25 (smtp, /etc/postfix/master.cf:1)");
  EXPECT_EQ(moved.result.drift[0].desired,
            "permit_mynetworks, reject_unauth_destination, check_client_access "
            "cidr:/etc/postfix/clients.cidr");
}

TEST(FixListenersTest, AnUnreadableTableBeforeTheClosingElementCannotBeFixed) {
  Fixed f =
      Fix("smtpd_relay_restrictions = permit_mynetworks, check_client_access "
          "ldap:/etc/postfix/ldap.cf, reject_unauth_destination\n",
          kSmtp, TrustLocalhost());
  ASSERT_EQ(f.result.unfixable.size(), 1u);
  EXPECT_THAT(f.result.unfixable[0], HasSubstr("listener 127.0.0.1:25"));
  EXPECT_THAT(f.result.unfixable[0], HasSubstr("ldap:/etc/postfix/ldap.cf: the table cannot be "
                                               "read"));
}

}  // namespace
}  // namespace relayguard::agent::postfix
