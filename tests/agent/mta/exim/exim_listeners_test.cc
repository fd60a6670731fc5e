// The listener derivation (agent/mta/exim/exim_listeners.cc) and the main-option reader it
// stands on (exim_main_options.cc), table-driven, plus Debian's generated configuration.
#include "agent/mta/exim/exim_listeners.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "agent/mta/exim/exim_debian_sources.h"
#include "agent/mta/exim/exim_main_options.h"
#include "tests/agent/mta/exim/exim_test_files.h"

namespace relayguard::agent::exim {
namespace {

// "ENDPOINT bind=B tls role service declared_at" per listener, for comparing whole tables.
std::string Describe(const std::vector<Listener>& listeners) {
  std::vector<std::string> out;
  for (const Listener& l : listeners) {
    out.push_back(l.endpoint.ToString() + " bind=" + l.bind + " " + ListenerTlsName(l.tls) + " " +
                  ListenerRoleName(l.role) + " " + l.service + " " + l.declared_at +
                  (l.loopback_only ? " loopback" : ""));
  }
  return absl::StrJoin(out, "\n");
}

struct ListenerCase {
  std::string name;
  std::string config;
  std::vector<std::string> want;  // Describe() lines; empty: an error containing `error`
  std::string error = "";
};

class DeriveEximListenersTest : public ::testing::TestWithParam<ListenerCase> {};

TEST_P(DeriveEximListenersTest, DerivesEveryListener) {
  const ListenerCase& c = GetParam();
  absl::StatusOr<ConfigText> text = ConfigText::Parse(c.config, "exim.conf");
  ASSERT_TRUE(text.ok()) << text.status();
  EximListenerSource source{&*text, {"_HAVE_TLS"}, {{"mysmtp", 2600}}, nullptr};
  absl::StatusOr<std::vector<Listener>> got = DeriveEximListeners(source);
  if (c.want.empty()) {
    ASSERT_FALSE(got.ok()) << Describe(*got);
    EXPECT_THAT(std::string(got.status().message()), ::testing::HasSubstr(c.error));
    return;
  }
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(Describe(*got), absl::StrJoin(c.want, "\n"));
}

INSTANTIATE_TEST_SUITE_P(
    Configs, DeriveEximListenersTest,
    ::testing::Values(
        ListenerCase{"DefaultsToSmtpOnEveryInterface",
                     "primary_hostname = mx\n",
                     {"127.0.0.1:25 bind=0.0.0.0 and :: plain relay smtp exim.conf (Exim's "
                      "default port smtp)"}},
        ListenerCase{"PortsTimesInterfaces",
                     "daemon_smtp_ports = 25 : submission\nlocal_interfaces = 127.0.0.1 : "
                     "192.0.2.1\n",
                     {"127.0.0.1:25 bind=127.0.0.1 plain relay 25 exim.conf:1 loopback",
                      "127.0.0.1:587 bind=127.0.0.1 plain submission submission exim.conf:1 "
                      "loopback",
                      "192.0.2.1:25 bind=192.0.2.1 plain relay 25 exim.conf:1",
                      "192.0.2.1:587 bind=192.0.2.1 plain submission submission exim.conf:1"}},
        ListenerCase{"SingularOptionAndServiceNames",
                     "daemon_smtp_port = smtps : ssmtp : mysmtp\nlocal_interfaces = 127.0.0.1\n"
                     "tls_on_connect_ports = 465\n",
                     {"127.0.0.1:465 bind=127.0.0.1 implicit-tls submission smtps exim.conf:1 "
                      "loopback",
                      "127.0.0.1:2600 bind=127.0.0.1 plain relay mysmtp exim.conf:1 loopback"}},
        ListenerCase{"AddressDotPortOverridesThePortList",
                     "daemon_smtp_ports = 2525\n"
                     "local_interfaces = <; 127.0.0.1.2626 ; 127.0.0.2 ; [::1]:2627\n",
                     {"127.0.0.1:2626 bind=127.0.0.1 plain relay 2626 exim.conf:2 loopback",
                      "127.0.0.2:2525 bind=127.0.0.2 plain relay 2525 exim.conf:1 loopback",
                      "[::1]:2627 bind=::1 plain relay 2627 exim.conf:2 loopback"}},
        ListenerCase{"DoubledColonsInAColonList",
                     "daemon_smtp_ports = 25\nlocal_interfaces = 127.0.0.1 : ::::1\n",
                     {"127.0.0.1:25 bind=127.0.0.1 plain relay 25 exim.conf:1 loopback",
                      "[::1]:25 bind=::1 plain relay 25 exim.conf:1 loopback"}},
        ListenerCase{"OtherSeparator",
                     "daemon_smtp_ports = <, 25, 2525\nlocal_interfaces = <, 127.0.0.1\n",
                     {"127.0.0.1:25 bind=127.0.0.1 plain relay 25 exim.conf:1 loopback",
                      "127.0.0.1:2525 bind=127.0.0.1 plain relay 2525 exim.conf:1 loopback"}},
        ListenerCase{"EmptyInterfacesMeanEveryInterface",
                     "daemon_smtp_ports = 2525\nlocal_interfaces =\n",
                     {"127.0.0.1:2525 bind=0.0.0.0 and :: plain relay 2525 exim.conf:1"}},
        ListenerCase{"ExplicitWildcardsMergeOnLoopback",
                     "daemon_smtp_ports = 2525\nlocal_interfaces = <; ::0 ; 0.0.0.0 ; 127.0.0.1\n",
                     {"127.0.0.1:2525 bind=::0 and 0.0.0.0 and 127.0.0.1 plain relay 2525 "
                      "exim.conf:1"}},
        ListenerCase{"MacrosAndIfdefBranches",
                     "IFACES = 127.0.0.1 : 127.0.0.2\n.ifdef _HAVE_TLS\nSMTPS = 465\n.else\n"
                     "SMTPS = 9465\n.endif\n.ifndef IFACES\nlocal_interfaces = 10.0.0.1\n.else\n"
                     "local_interfaces = IFACES\n.endif\ndaemon_smtp_ports = 25 : SMTPS\n"
                     "tls_on_connect_ports = SMTPS\nbegin acl\ndaemon_smtp_ports = 99\n",
                     {"127.0.0.1:25 bind=127.0.0.1 plain relay 25 exim.conf:12 loopback",
                      "127.0.0.1:465 bind=127.0.0.1 implicit-tls submission 465 exim.conf:12 "
                      "loopback",
                      "127.0.0.2:25 bind=127.0.0.2 plain relay 25 exim.conf:12 loopback",
                      "127.0.0.2:465 bind=127.0.0.2 implicit-tls submission 465 exim.conf:12 "
                      "loopback"}},
        ListenerCase{"DefaultPortDeclaredByTheInterfacesMacro",
                     "MAIN_LOCAL_INTERFACES = 127.0.0.1\nlocal_interfaces = "
                     "MAIN_LOCAL_INTERFACES\n",
                     {"127.0.0.1:25 bind=127.0.0.1 plain relay smtp exim.conf:1 loopback"}},
        ListenerCase{"LastSettingWins",
                     "daemon_smtp_ports = 25\nhide daemon_smtp_ports = 2525\n",
                     {"127.0.0.1:2525 bind=0.0.0.0 and :: plain relay 2525 exim.conf:2"}},
        ListenerCase{"UnknownService",
                     "daemon_smtp_ports = 25 : nosuchservice\n",
                     {},
                     "exim.conf:1: daemon_smtp_ports item \"nosuchservice\""},
        ListenerCase{"HostNameInterface",
                     "local_interfaces = mx.example.org\n",
                     {},
                     "exim.conf:1: local_interfaces item \"mx.example.org\""},
        ListenerCase{
            "Expansion", "local_interfaces = ${lookup{x}lsearch{/f}}\n", {}, "is an expansion"},
        ListenerCase{"NoPorts",
                     "daemon_smtp_ports =\nlocal_interfaces = 127.0.0.1\n",
                     {},
                     "declares no listener"}),
    [](const ::testing::TestParamInfo<ListenerCase>& info) { return info.param.name; });

TEST(ParseServicesTest, ReadsTcpPortsAndAliases) {
  std::map<std::string, int> s = ParseServices(
      "# comment\nsmtp\t\t25/tcp\t\tmail\nsubmissions\t465/tcp\t\tssmtp smtps  # SMTP over TLS\n"
      "syslog\t\t514/udp\nbroken\n");
  EXPECT_EQ(s,
            (std::map<std::string, int>{
                {"mail", 25}, {"smtp", 25}, {"smtps", 465}, {"ssmtp", 465}, {"submissions", 465}}));
  EXPECT_EQ(ResolvePort("submission", s), 587) << "Exim's own fallback";
  EXPECT_EQ(ResolvePort("70000", s), 0);
}

TEST(ReadMainOptionsTest, ReportsTheMacroDefinitionALoneMacroValueCameFrom) {
  absl::StatusOr<ConfigText> text =
      ConfigText::Parse("A = 1\nA == 2\nlocal_interfaces = A\nqualify_domain = x.A\n", "f");
  ASSERT_TRUE(text.ok());
  auto options = ReadMainOptions(*text);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->at("local_interfaces").value, "2");
  EXPECT_EQ(options->at("local_interfaces").macro_line, 1u);
  EXPECT_EQ(options->at("qualify_domain").value, "x.2");
  EXPECT_EQ(options->at("qualify_domain").macro_line, std::nullopt);
}

// Debian's generated configuration: the listeners are declared where a person edits them.
TEST(DebianSourcesTest, TracesGeneratedLinesBackToConfDAndDebconf) {
  std::vector<SourceFile> sources = {
      {"/etc/exim4/conf.d/main/000_localmacros", "SPOOLDIR = /s\ndaemon_smtp_ports = 25 : 587\n"},
      {"/etc/exim4/exim4.conf.template", "local_interfaces = MAIN_LOCAL_INTERFACES\n"}};
  EXPECT_EQ(LocateInSources("  daemon_smtp_ports = 25 : 587", sources),
            "/etc/exim4/conf.d/main/000_localmacros:2");
  EXPECT_EQ(LocateInSources("MAIN_LOCAL_INTERFACES=127.0.0.1", sources), std::nullopt);
  EXPECT_EQ(LocateInSources("   ", sources), std::nullopt);
  EXPECT_EQ(DebianKeyForMacro("MAIN_LOCAL_INTERFACES=127.0.0.1 ; ::1"), "dc_local_interfaces");
  EXPECT_EQ(DebianKeyForMacro("MAIN_RELAY_NETS = 10.0.0.0/8"), "dc_relay_nets");
  EXPECT_EQ(DebianKeyForMacro("daemon_smtp_ports = 25"), std::nullopt);
}

// Debian's packaged template with the macros update-exim4.conf writes in front of it.
TEST(DebianTemplateTest, ListensWhereDcLocalInterfacesSays) {
  const std::string generated =
      ".ifndef MAIN_LOCAL_INTERFACES\nMAIN_LOCAL_INTERFACES=<; 127.0.0.1 ; ::1\n.endif\n" +
      testing::ReadDebian("etc/exim4/exim4.conf.template");
  absl::StatusOr<ConfigText> text = ConfigText::Parse(generated, "generated");
  ASSERT_TRUE(text.ok()) << text.status();
  EximListenerSource source{&*text, {}, {}, [&](size_t line) {
                              return line == 1 ? std::string("update-exim4.conf.conf:7")
                                               : text->Where(line);
                            }};
  absl::StatusOr<std::vector<Listener>> got = DeriveEximListeners(source);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(Describe(*got),
            "127.0.0.1:25 bind=127.0.0.1 plain relay smtp update-exim4.conf.conf:7 loopback\n"
            "[::1]:25 bind=::1 plain relay smtp update-exim4.conf.conf:7 loopback");
}

}  // namespace
}  // namespace relayguard::agent::exim
