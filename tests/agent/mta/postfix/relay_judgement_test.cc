// What lets strangers relay through each listener, found on configuration text: the rule, the
// listener it opens, and the file:line to look at.
#include "agent/mta/postfix/relay_judgement.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/mta/postfix/relay_fix.h"
#include "tests/agent/mta/postfix/postfix_fakes.h"

namespace relayguard::agent::postfix {
namespace {

using ::testing::HasSubstr;
using Strings = std::vector<std::string>;
using testing::FakeConfig;
using testing::FakeJudge;
using testing::FakeTableReader;

Policy TrustLocalhost() {
  Policy p;
  p.name = "t";
  p.version = 1;
  p.trusted_networks = {*ParseCidr("127.0.0.1/32")};
  p.partners = {*ParseCidr("127.0.0.5/32")};
  return p;
}

TEST(JudgeNetworksTest, SortsEntries) {
  NetworksJudgement j = JudgeNetworks(
      "127.0.0.1/32, 127.0.0.0/8 10.0.0.0/8 192.0.2.0/24 [::1]/128 [2001:db8::]/16 "
      "hash:/etc/postfix/nets /etc/postfix/nets.txt mail.example !127.0.0.9 127.0.0.5 "
      "127.0.0.1/33",
      TrustLocalhost());
  EXPECT_EQ(j.strangers, (Strings{"127.0.0.0/8", "10.0.0.0/8", "[2001:db8::]/16"}));
  EXPECT_EQ(j.unproven,
            (Strings{"hash:/etc/postfix/nets", "/etc/postfix/nets.txt", "127.0.0.1/33"}));
  EXPECT_EQ(j.narrow, (Strings{"127.0.0.1/32", "192.0.2.0/24", "[::1]/128", "mail.example",
                               "!127.0.0.9", "127.0.0.5"}));
}

struct FindingsCase {
  std::string name;
  std::string main, master;
  Strings want;  // DriftText of each finding
};

class ListenerFindingsTest : public ::testing::TestWithParam<FindingsCase> {};

TEST_P(ListenerFindingsTest, NamesListenerRuleAndPlace) {
  const FindingsCase& c = GetParam();
  PostfixConfig config = FakeConfig(c.main, c.master);
  NameResolvers resolvers{[](const std::string&) { return std::nullopt; },
                          [](const std::string&) -> absl::StatusOr<std::vector<IpAddress>> {
                            return absl::NotFoundError("no DNS");
                          }};
  absl::StatusOr<std::vector<PostfixListener>> listeners = DeriveListeners(config, resolvers);
  ASSERT_TRUE(listeners.ok()) << listeners.status();
  FakeTableReader tables;
  tables.Add("cidr:/etc/postfix/open.cidr", "/etc/postfix/open.cidr",
             {{1, "192.0.2.0/24", "OK", {}}, {4, "0.0.0.0/0", "OK", {}}});
  Strings got;
  for (const SettingDrift& d :
       ListenerFindings(config, *listeners, TrustLocalhost(), TableAccess{tables, FakeJudge})) {
    got.push_back(DriftText(d));
  }
  EXPECT_EQ(got, c.want);
}

constexpr const char* kListener = "listener 127.0.0.1:25 (smtp, /etc/postfix/master.cf:1): ";
constexpr const char* kWant =
    "want \"nothing before the closing element that lets strangers "
    "relay\"";

INSTANTIATE_TEST_SUITE_P(
    Shapes, ListenerFindingsTest,
    ::testing::Values(
        FindingsCase{"Closed", "mynetworks = 127.0.0.1/32\n", "smtp inet n - n - - smtpd\n", {}},
        FindingsCase{"WideMynetworks",
                     "biff = no\nmynetworks = 0.0.0.0/0\n",
                     "smtp inet n - n - - smtpd\n",
                     {absl::StrCat(kListener,
                                   "smtpd_relay_restrictions is \"permit_mynetworks: mynetworks "
                                   "holds 0.0.0.0/0, which lets strangers relay\", ",
                                   kWant, " (/etc/postfix/main.cf:2)")}},
        FindingsCase{"MynetworksStyleSubnet",
                     "mynetworks_style = subnet\n",
                     "smtp inet n - n - - smtpd\n",
                     {absl::StrCat(kListener,
                                   "smtpd_relay_restrictions is \"permit_mynetworks: mynetworks "
                                   "holds 127.0.0.0/8, which lets strangers relay\", ",
                                   kWant, " (/etc/postfix/main.cf:1)")}},
        FindingsCase{"OverrideOnSecondListener",
                     "mynetworks = 127.0.0.1/32\n",
                     "smtp inet n - n - - smtpd\n127.0.0.1:2525 inet n - n - - smtpd\n"
                     "  -o mynetworks=0.0.0.0/0\n",
                     {"listener 127.0.0.1:2525 (2525, /etc/postfix/master.cf:2): "
                      "smtpd_relay_restrictions is \"permit_mynetworks: mynetworks holds "
                      "0.0.0.0/0, which lets strangers relay\", " +
                      std::string(kWant) + " (/etc/postfix/master.cf:3)"}},
        FindingsCase{"TableEntryNamedByItsLine",
                     "mynetworks = 127.0.0.1/32\nsmtpd_relay_restrictions = permit_mynetworks, "
                     "check_client_access cidr:/etc/postfix/open.cidr, reject_unauth_destination\n",
                     "smtp inet n - n - - smtpd\n",
                     {absl::StrCat(kListener,
                                   "smtpd_relay_restrictions is \"check_client_access "
                                   "cidr:/etc/postfix/open.cidr: 0.0.0.0/0 OK (grants "
                                   "strangers)\", ",
                                   kWant, " (/etc/postfix/open.cidr:4)")}},
        FindingsCase{"UnreadableTableIsUnproven",
                     "mynetworks = 127.0.0.1/32\nsmtpd_relay_restrictions = check_client_access "
                     "ldap:/etc/postfix/ldap.cf, reject_unauth_destination\n",
                     "smtp inet n - n - - smtpd\n",
                     {absl::StrCat(kListener,
                                   "smtpd_relay_restrictions cannot be checked: "
                                   "check_client_access ldap:/etc/postfix/ldap.cf: the table "
                                   "cannot be read (cannot read ldap:/etc/postfix/ldap.cf) "
                                   "(/etc/postfix/main.cf:2)")}},
        FindingsCase{"XclientFromStrangers",
                     "mynetworks = 127.0.0.1/32\nsmtpd_authorized_xclient_hosts = 0.0.0.0/0\n",
                     "smtp inet n - n - - smtpd\n",
                     {absl::StrCat(kListener,
                                   "smtpd_authorized_xclient_hosts is \"XCLIENT is allowed from "
                                   "0.0.0.0/0: those clients can claim a trusted address and "
                                   "relay\", want \"no stranger may send XCLIENT\" "
                                   "(/etc/postfix/main.cf:2)")}},
        FindingsCase{"NoListStopsStrangers",
                     "mynetworks = 127.0.0.1/32\nsmtpd_relay_restrictions =\n",
                     "smtp inet n - n - - smtpd\n",
                     {absl::StrCat(kListener,
                                   "smtpd_relay_restrictions is \" (strangers reach its end: no "
                                   "list stops them)\", ",
                                   kWant, " (/etc/postfix/main.cf:2)")}}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace relayguard::agent::postfix
