#include "agent/mta/postfix/postfix_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace relayguard::agent::postfix {
namespace {

using ::testing::HasSubstr;

Policy TwoNetworks() {
  Policy p;
  p.name = "t";
  p.version = 1;
  p.trusted_networks = {*ParseCidr("192.0.2.0/24"), *ParseCidr("2001:db8::/32")};
  return p;
}

std::map<std::string, std::string> AsMap(const std::vector<DesiredSetting>& settings) {
  std::map<std::string, std::string> m;
  for (const DesiredSetting& s : settings) m[s.name] = s.value;
  return m;
}

TEST(PostfixVersionTest, ParsesReleasesAndSnapshots) {
  struct Case { const char* text; int major, minor; bool relay_restrictions; };
  for (const Case& c : {Case{"3.7.11", 3, 7, true}, Case{"2.9.6", 2, 9, false},
                        Case{"2.10.0", 2, 10, true}, Case{"3.8-20221006", 3, 8, true}}) {
    absl::StatusOr<PostfixVersion> v = ParsePostfixVersion(c.text);
    ASSERT_TRUE(v.ok()) << c.text;
    EXPECT_EQ(v->major, c.major);
    EXPECT_EQ(v->minor, c.minor);
    EXPECT_EQ(v->HasRelayRestrictions(), c.relay_restrictions) << c.text;
  }
  EXPECT_FALSE(ParsePostfixVersion("three").ok());
  EXPECT_FALSE(ParsePostfixVersion("").ok());
}

TEST(DesiredSettingsTest, MynetworksAreTheRelayClients) {
  Policy p = TwoNetworks();
  p.partners = {*ParseCidr("198.51.100.7/32")};
  auto m = AsMap(DesiredSettings(p));
  EXPECT_EQ(m["mynetworks"], "192.0.2.0/24, [2001:db8::]/32, 198.51.100.7/32");
  // Restriction lists are edited per listener (relay_fix.h), never replaced wholesale.
  EXPECT_EQ(m.count("smtpd_relay_restrictions"), 0u);
  EXPECT_EQ(m.count("smtpd_recipient_restrictions"), 0u);
  EXPECT_EQ(m.count("smtpd_tls_security_level"), 0u);  // policy does not touch TLS
}

TEST(DesiredSettingsTest, RequireAuthEnablesSasl) {
  Policy p = TwoNetworks();
  p.require_auth = true;
  p.tls = TlsLevel::kEncrypt;
  p.relay_domains = {"example.com", "example.org"};
  auto m = AsMap(DesiredSettings(p));
  EXPECT_EQ(m["smtpd_sasl_auth_enable"], "yes");
  EXPECT_EQ(m["smtpd_tls_security_level"], "encrypt");
  EXPECT_EQ(m["relay_domains"], "example.com, example.org");
}

TEST(SettingHoldsTest, ComparesListsAndNetworksCanonically) {
  DesiredSetting networks{"mynetworks", "127.0.0.1/32, [::1]/128", Compare::kNetworks};
  EXPECT_TRUE(SettingHolds(networks, "127.0.0.1/32 [::1]/128"));
  EXPECT_TRUE(SettingHolds(networks, "127.0.0.1,[0:0::1]/128"));
  EXPECT_FALSE(SettingHolds(networks, "[::1]/128, 127.0.0.1/32"));  // order matters
  EXPECT_FALSE(SettingHolds(networks, "0.0.0.0/0"));
  DesiredSetting list{"smtpd_relay_restrictions", "a, b", Compare::kList};
  EXPECT_TRUE(SettingHolds(list, "a,\n    b"));
  EXPECT_FALSE(SettingHolds(list, "a"));
}

TEST(CheckRelaySafetyTest, RefusesListsThatCannotEndRelaying) {
  EXPECT_TRUE(CheckRelaySafety({{"smtpd_relay_restrictions", "permit_mynetworks, reject"},
                                {"mynetworks", "127.0.0.0/8"}}).ok());
  absl::Status open = CheckRelaySafety({{"smtpd_relay_restrictions", "permit"},
                                        {"smtpd_recipient_restrictions", ""}});
  EXPECT_THAT(open.message(), HasSubstr("reject_unauth_destination"));
  absl::Status bad = CheckRelaySafety({{"smtpd_relay_restrictions", "reject_unauth_destination"},
                                       {"mynetworks", "127.0.0.1/33, hash:/etc/nets"}});
  EXPECT_THAT(bad.message(), HasSubstr("127.0.0.1/33"));
}

}  // namespace
}  // namespace relayguard::agent::postfix
