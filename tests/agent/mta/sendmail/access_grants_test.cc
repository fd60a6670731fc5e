#include "agent/mta/sendmail/access_grants.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace relayguard::agent::sendmail {
namespace {

using Action = RelayGrant::Action;

// Trusts 192.0.2.0/24, names the partner 198.51.100.7, probes from 127.0.0.9.
const AccessPolicy& Office() {
  static const AccessPolicy* want = [] {
    Policy policy;
    policy.trusted_networks = {*ParseCidr("192.0.2.0/24")};
    policy.partners = {*ParseCidr("198.51.100.7/32")};
    policy.relay_domains = {"example.com"};
    return new AccessPolicy(AccessPolicyFor(policy));
  }();
  return *want;
}

struct GrantCase {
  std::string name;
  std::string key;
  Action action;
  std::string grants;  // "" when it grants nothing of note
  std::string reason;  // substring of the reason ("" for none)
  bool admin_grant = false;
};

class JudgeRelayEntryTest : public ::testing::TestWithParam<GrantCase> {};

TEST_P(JudgeRelayEntryTest, RemovesOnlyWhatLetsStrangersRelay) {
  const RelayGrant g = JudgeRelayEntry(GetParam().key, Office());
  EXPECT_EQ(g.action, GetParam().action);
  EXPECT_EQ(g.grants, GetParam().grants);
  if (GetParam().reason.empty()) {
    EXPECT_EQ(g.reason, "");
  } else {
    EXPECT_THAT(g.reason, ::testing::HasSubstr(GetParam().reason));
  }
  EXPECT_EQ(g.admin_grant, GetParam().admin_grant);
}

INSTANTIATE_TEST_SUITE_P(
    Keys, JudgeRelayEntryTest,
    ::testing::Values(
        GrantCase{"WideNetwork", "Connect:10", Action::kDelete, "lets clients in 10.0.0.0/8 relay",
                  "wider than /16"},
        GrantCase{"HoldsTheStranger", "Connect:127", Action::kDelete,
                  "lets clients in 127.0.0.0/8 relay", "untrusted probe source 127.0.0.9"},
        GrantCase{"UntaggedHoldsTheStranger", "127.0.0", Action::kDelete,
                  "lets clients in 127.0.0.0/24 relay", "untrusted probe source"},
        GrantCase{"BracketedHoldsTheStranger", "Connect:[127.0.0.9]", Action::kDelete,
                  "lets clients in 127.0.0.9/32 relay", "untrusted probe source"},
        GrantCase{"ZeroReadsAsEveryone", "Connect:0", Action::kDelete,
                  "lets clients in 0.0.0.0/8 relay", "reads as \"everyone\""},
        GrantCase{"AllV6", "Connect:IPv6", Action::kDelete, "lets clients in ::/0 relay",
                  "wider than /32"},
        GrantCase{"NarrowPartnerNetwork", "Connect:10.20", Action::kKeep,
                  "lets clients in 10.20.0.0/16 relay", "", true},
        GrantCase{"InsideTheTrustedNetwork", "192.0.2.64", Action::kKeep,
                  "lets clients in 192.0.2.64/32 relay", "", true},
        GrantCase{"WiderButHoldsOnlyThePartner", "Connect:198.51.100.7", Action::kKeep,
                  "lets clients in 198.51.100.7/32 relay", "", true},
        GrantCase{"V6Partner", "IPv6:2001:db8:5", Action::kKeep,
                  "lets clients in 2001:db8:5::/48 relay", "", true},
        GrantCase{"Loopback", "Connect:127.0.0.1", Action::kKeep, "", ""},
        GrantCase{"LoopbackV6", "IPv6:::1", Action::kKeep, "", ""},
        GrantCase{"Localhost", "Connect:localhost.localdomain", Action::kKeep, "", ""},
        GrantCase{"PartnerHostName", "Connect:mx.partner.example", Action::kKeep,
                  "lets clients whose reverse DNS name is mx.partner.example or under it relay", "",
                  true},
        GrantCase{"TopLevelName", "Connect:com", Action::kDelete,
                  "lets every client named under \"com\" relay", "fewer than two labels"},
        GrantCase{"EmptyConnectKey", "Connect:", Action::kDelete,
                  "lets every client named under \"\" relay", "fewer than two labels"},
        GrantCase{"UntaggedNameIsRetagged", "partner.example", Action::kRetag,
                  "lets clients whose reverse DNS name is partner.example or under it relay",
                  "also lets anyone relay to partner.example", true},
        GrantCase{"RecipientDomain", "To:example.net", Action::kDelete,
                  "lets anyone relay to example.net", "not one of the policy's relay domains"},
        GrantCase{"RecipientAddress", "user@example.net", Action::kDelete,
                  "lets anyone relay to user@example.net", "not one of the policy's relay"},
        GrantCase{"RelayDomainAsClientName", "Connect:example.com", Action::kKeep, "", ""},
        GrantCase{"OtherTag", "From:friend@example.org", Action::kKeep, "", ""},
        GrantCase{"NeverMatches", "Connect:10.01", Action::kKeep, "", ""}),
    [](const auto& info) { return info.param.name; });

TEST(JudgeRelayEntryTest, RequireAuthRemovesEveryClientGrant) {
  Policy policy;
  policy.trusted_networks = {*ParseCidr("192.0.2.0/24")};
  policy.require_auth = true;
  const AccessPolicy want = AccessPolicyFor(policy);
  EXPECT_TRUE(want.relay_networks.empty());
  for (const char* key :
       {"Connect:192.0.2.64", "Connect:10.20", "Connect:mx.partner.example", "partner.example"}) {
    const RelayGrant g = JudgeRelayEntry(key, want);
    EXPECT_EQ(g.action, Action::kDelete) << key;
    EXPECT_EQ(g.reason, "the policy lets only authenticated clients relay") << key;
  }
  EXPECT_EQ(JudgeRelayEntry("Connect:127.0.0.1", want).action, Action::kKeep);
}

TEST(AccessPolicyForTest, RelayClientsAreTrustedNetworksThenPartners) {
  Policy policy;
  policy.trusted_networks = {*ParseCidr("127.0.0.1/32")};
  policy.partners = {*ParseCidr("127.0.0.5/32")};
  const AccessPolicy want = AccessPolicyFor(policy);
  ASSERT_EQ(want.relay_networks.size(), 2u);
  EXPECT_EQ(want.relay_networks[1].ToString(), "127.0.0.5/32");
  EXPECT_EQ(want.stranger_grant(*ParseCidr("127.0.0.5/32")), "");
  EXPECT_EQ(want.stranger_grant(*ParseCidr("127.0.0.8/29")),
            "it contains the untrusted probe source 127.0.0.9");
}

TEST(ClassifyAccessKeyTest, SplitsTagAndBody) {
  KeyParts p = ClassifyAccessKey("CONNECT:[192.0.2.1]");
  EXPECT_EQ(p.kind, KeyKind::kAddress);
  EXPECT_EQ(p.tag, "connect");
  EXPECT_EQ(p.body, "[192.0.2.1]");
  p = ClassifyAccessKey("To:192.0.2.1");
  EXPECT_EQ(p.kind, KeyKind::kName) << "To: keys are recipient domains";
  p = ClassifyAccessKey("GreetPause:127");
  EXPECT_EQ(p.kind, KeyKind::kOther);
  EXPECT_EQ(p.tag, "greetpause");
  p = ClassifyAccessKey("IPv6:2001:db8");
  EXPECT_EQ(p.kind, KeyKind::kAddress);
  EXPECT_EQ(p.tag, "");
}

}  // namespace
}  // namespace relayguard::agent::sendmail
