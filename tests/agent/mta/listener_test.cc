// The listener model: internal listeners by declaration and binding, the host verdict over every
// listener, and which admin grants reach strangers (agent/policy/policy.h GrantsStrangers).
#include "agent/mta/listener.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace relayguard::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Listener At(const std::string& endpoint, const std::string& bind, bool loopback_only) {
  Listener l;
  l.endpoint = *ParseSmtpEndpoint(endpoint);
  l.bind = bind;
  l.loopback_only = loopback_only;
  l.service = "svc";
  l.declared_at = "master.cf:3";
  return l;
}

TEST(ListenerTest, NameSaysWhereItIsDeclaredAndWhatKindItIs) {
  Listener l = At("127.0.0.1:4465", "127.0.0.1", true);
  EXPECT_EQ(l.Name(), "127.0.0.1:4465 (svc, master.cf:3)");
  l.tls = ListenerTls::kImplicit;
  l.internal = true;
  EXPECT_EQ(l.Name(), "127.0.0.1:4465 (svc, master.cf:3, implicit TLS, internal)");
  EXPECT_STREQ(ListenerTlsName(l.tls), "implicit-tls");
  EXPECT_STREQ(ListenerRoleName(ListenerRole::kSubmission), "submission");
}

TEST(ListenerTest, OnlyALoopbackOnlyListenerTheProbeSettingsNameIsInternal) {
  ProbeSettings probe = DefaultProbeSettings();
  probe.internal_listeners = {*ParseSmtpEndpoint("127.0.0.1:10025"),
                              *ParseSmtpEndpoint("127.0.0.1:10026"),
                              *ParseSmtpEndpoint("127.0.0.1:10027")};
  std::vector<Listener> listeners = {At("127.0.0.1:25", "all", false),
                                     At("127.0.0.1:10025", "127.0.0.1", true),
                                     At("127.0.0.1:10026", "0.0.0.0", false)};
  std::vector<std::string> warnings = MarkInternalListeners(probe, listeners);
  EXPECT_FALSE(listeners[0].internal);
  EXPECT_TRUE(listeners[1].internal);
  EXPECT_FALSE(listeners[2].internal);  // binds every interface: other hosts reach it
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_THAT(warnings[0], HasSubstr("binds 0.0.0.0: other hosts can reach it"));
  EXPECT_THAT(warnings[1], HasSubstr("127.0.0.1:10027, but the MTA declares no listener there"));
}

TEST(ListenerTest, TheHostRelaysIfAnyListenerRelaysAndIsClosedOnlyIfEveryOneRefused) {
  auto result = [](const std::string& at, ProbeVerdict v, bool internal = false) {
    ListenerResult r;
    r.listener = At(at, "127.0.0.1", true);
    r.listener.internal = internal;
    r.verdict = v;
    return r;
  };
  EXPECT_EQ(HostVerdict({result("127.0.0.1:25", ProbeVerdict::kRefused),
                         result("127.0.0.1:26", ProbeVerdict::kRelayAccepted)}),
            ProbeVerdict::kRelayAccepted);
  EXPECT_EQ(HostVerdict({result("127.0.0.1:25", ProbeVerdict::kRefused),
                         result("127.0.0.1:26", ProbeVerdict::kInconclusive)}),
            ProbeVerdict::kInconclusive);
  EXPECT_EQ(HostVerdict({result("127.0.0.1:25", ProbeVerdict::kRefused),
                         result("127.0.0.1:10025", ProbeVerdict::kInconclusive, true)}),
            ProbeVerdict::kRefused);
  // Nothing probed proves nothing.
  EXPECT_EQ(HostVerdict({}), ProbeVerdict::kInconclusive);
  EXPECT_EQ(HostVerdict({result("127.0.0.1:10025", ProbeVerdict::kRefused, true)}),
            ProbeVerdict::kInconclusive);
}

TEST(ListenerTest, TheOperatorsExtraEndpointIsAddedOnceAsARelayListener) {
  std::vector<Listener> listeners = {At("127.0.0.1:25", "127.0.0.1", true)};
  AddExtraListener(std::nullopt, listeners);
  AddExtraListener(*ParseSmtpEndpoint("127.0.0.1:25"), listeners);
  EXPECT_EQ(listeners.size(), 1u);
  AddExtraListener(*ParseSmtpEndpoint("127.0.0.1:2600"), listeners);
  ASSERT_EQ(listeners.size(), 2u);
  EXPECT_EQ(listeners[1].service, "--smtp");
  EXPECT_FALSE(listeners[1].loopback_only);
}

TEST(ListenerTest, ProbeOptionsUseTlsOnConnectOnlyForImplicitTlsListeners) {
  ProbeSettings probe = DefaultProbeSettings();
  Listener l = At("127.0.0.1:465", "127.0.0.1", true);
  EXPECT_FALSE(ListenerProbeOptions(probe, ProbeSource::kUntrusted, l).tls_on_connect);
  l.tls = ListenerTls::kImplicit;
  ProbeOptions o = ListenerProbeOptions(probe, ProbeSource::kUntrusted, l);
  EXPECT_TRUE(o.tls_on_connect);
  EXPECT_EQ(o.source.ToString(), "127.0.0.9");
}

TEST(ListenerTest, AnIpv6ListenerIsProbedFromTheIpv6SourcesOrSaysWhatIsMissing) {
  ProbeSettings probe = DefaultProbeSettings();
  Listener l = At("[::1]:25", "::1", true);
  EXPECT_EQ(ListenerProbeOptions(probe, ProbeSource::kTrusted, l).source.ToString(), "::1");
  EXPECT_EQ(MissingProbeSource(probe, ProbeSource::kTrusted, l), "");
  const std::string missing = MissingProbeSource(probe, ProbeSource::kUntrusted, l);
  EXPECT_THAT(missing, HasSubstr("listener [::1]:25 (svc, master.cf:3) is on IPv6"));
  EXPECT_THAT(missing, HasSubstr("set probe.untrusted_source_v6"));
  EXPECT_THAT(missing, HasSubstr("or name it in listeners.internal"));
  probe.untrusted_source_v6 = *ParseIpAddress("2001:db8::9");
  EXPECT_EQ(MissingProbeSource(probe, ProbeSource::kUntrusted, l), "");
  EXPECT_EQ(ListenerProbeOptions(probe, ProbeSource::kUntrusted, l).source.ToString(),
            "2001:db8::9");
  // IPv4 listeners keep the IPv4 sources.
  Listener v4 = At("127.0.0.1:25", "127.0.0.1", true);
  EXPECT_EQ(ListenerProbeOptions(probe, ProbeSource::kUntrusted, v4).source.ToString(),
            "127.0.0.9");
  EXPECT_EQ(MissingProbeSource(probe, ProbeSource::kUntrusted, v4), "");
}

Policy PolicyWithPartner() {
  Policy p;
  p.trusted_networks = {*ParseCidr("127.0.0.1/32"), *ParseCidr("10.1.0.0/16")};
  p.partners = {*ParseCidr("192.0.2.0/24"), *ParseCidr("172.16.0.0/12")};
  p.probe = DefaultProbeSettings();
  return p;
}

TEST(GrantsStrangersTest, CatchAllsTheUntrustedSourceAndWholeProvidersAreStrangers) {
  Policy p = PolicyWithPartner();
  for (const char* wide : {"0.0.0.0/0", "::/0", "127.0.0.0/8", "127.0.0.9/32", "0.0.0.0/1",
                           "100.64.0.0/10", "2001:db8::/16"}) {
    EXPECT_TRUE(GrantsStrangers(p, *ParseCidr(wide))) << wide;
  }
}

TEST(GrantsStrangersTest, NarrowPartnerGrantsAndWhatThePolicyNamesAreKept) {
  Policy p = PolicyWithPartner();
  for (const char* narrow : {"198.51.100.0/24", "203.0.113.7/32", "127.0.0.1/32", "10.1.2.0/24",
                             "192.0.2.128/25", "172.16.0.0/12", "2001:db8:1::/48"}) {
    EXPECT_FALSE(GrantsStrangers(p, *ParseCidr(narrow))) << narrow;
  }
  // A named partner makes a grant kept even where it is wide, but only inside it.
  EXPECT_TRUE(GrantsStrangers(p, *ParseCidr("172.0.0.0/8")));
}

TEST(RelayClientsTest, TrustedNetworksThenPartnersWithoutDuplicates) {
  Policy p = PolicyWithPartner();
  p.partners.push_back(*ParseCidr("127.0.0.1/32"));
  std::vector<std::string> got;
  for (const Cidr& c : RelayClients(p)) got.push_back(c.ToString());
  EXPECT_THAT(got, ElementsAre("127.0.0.1/32", "10.1.0.0/16", "192.0.2.0/24", "172.16.0.0/12"));
}

}  // namespace
}  // namespace relayguard::agent
