#include "agent/mta/postfix/postfix_listeners.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/agent/mta/postfix/postfix_fakes.h"

namespace relayguard::agent::postfix {
namespace {

using Strings = std::vector<std::string>;
using testing::FakeConfig;

NameResolvers FakeResolvers() {
  NameResolvers r;
  r.port = [](const std::string& name) -> std::optional<uint16_t> {
    if (name == "imap") return 143;
    return std::nullopt;
  };
  r.host = [](const std::string& name) -> absl::StatusOr<std::vector<IpAddress>> {
    if (name == "mail.example") {
      return std::vector<IpAddress>{*ParseIpAddress("192.0.2.10"), *ParseIpAddress("2001:db8::10")};
    }
    if (name == "localhost") {
      return std::vector<IpAddress>{*ParseIpAddress("127.0.0.1"), *ParseIpAddress("::1")};
    }
    return absl::NotFoundError("Name or service not known");
  };
  return r;
}

// One line per listener: what the probe and the report need.
std::string Describe(const PostfixListener& l) {
  const Listener& x = l.listener;
  return absl::StrCat(x.endpoint.ToString(), " bind=", x.bind, x.loopback_only ? " loopback" : "",
                      " ", ListenerTlsName(x.tls), " ", ListenerRoleName(x.role), " ", x.service,
                      " ", x.declared_at, " rules=", l.rules_line);
}

struct Case {
  std::string name;
  std::string master;
  std::string main;
  Strings want;  // Describe() of each listener; empty: an error
  std::string error = "";
};

class DeriveListenersTest : public ::testing::TestWithParam<Case> {};

TEST_P(DeriveListenersTest, FindsEveryListener) {
  const Case& c = GetParam();
  absl::StatusOr<std::vector<PostfixListener>> got =
      DeriveListeners(FakeConfig(c.main, c.master), FakeResolvers());
  if (!c.error.empty()) {
    ASSERT_FALSE(got.ok());
    EXPECT_THAT(std::string(got.status().message()), ::testing::HasSubstr(c.error));
    return;
  }
  ASSERT_TRUE(got.ok()) << got.status();
  Strings described;
  for (const PostfixListener& l : *got) described.push_back(Describe(l));
  EXPECT_EQ(described, c.want);
}

constexpr const char* kM = "/etc/postfix/master.cf:";

INSTANTIATE_TEST_SUITE_P(
    MasterCf, DeriveListenersTest,
    ::testing::Values(
        Case{"DebianSmtpAllInterfaces",
             "smtp inet n - y - - smtpd\n",
             "",
             {absl::StrCat("127.0.0.1:25 bind=all plain relay smtp ", kM, "1 rules=1")}},
        Case{"HostAndPort",
             "# x\n127.0.0.1:2525 inet n - n - - smtpd\n",
             "",
             {absl::StrCat("127.0.0.1:2525 bind=127.0.0.1 loopback plain relay 2525 ", kM,
                           "2 rules=2")}},
        Case{"Ipv6Literal",
             "[::1]:25 inet n - n - - smtpd\n",
             "inet_protocols = all\n",
             {absl::StrCat("[::1]:25 bind=::1 loopback plain relay 25 ", kM, "1 rules=1")}},
        Case{"LoopbackOnlyBothProtocols",
             "smtp inet n - n - - smtpd\n",
             "inet_interfaces = loopback-only\ninet_protocols = all\n",
             {absl::StrCat("127.0.0.1:25 bind=127.0.0.1 loopback plain relay smtp ", kM,
                           "1 rules=1"),
              absl::StrCat("[::1]:25 bind=::1 loopback plain relay smtp ", kM, "1 rules=1")}},
        Case{"InterfaceList",
             "2525 inet n - n - - smtpd\n",
             "inet_interfaces = 192.0.2.1, 127.0.0.1\n",
             {absl::StrCat("192.0.2.1:2525 bind=192.0.2.1 plain relay 2525 ", kM, "1 rules=1"),
              absl::StrCat("127.0.0.1:2525 bind=127.0.0.1 loopback plain relay 2525 ", kM,
                           "1 rules=1")}},
        Case{"InterfaceOfDisabledProtocolSkipped",
             "2525 inet n - n - - smtpd\n",
             "inet_interfaces = 127.0.0.1, ::1\n",
             {absl::StrCat("127.0.0.1:2525 bind=127.0.0.1 loopback plain relay 2525 ", kM,
                           "1 rules=1")}},
        Case{"WildcardAddress",
             "0.0.0.0:2525 inet n - n - - smtpd\n",
             "",
             {absl::StrCat("127.0.0.1:2525 bind=0.0.0.0 plain relay 2525 ", kM, "1 rules=1")}},
        Case{"HostName",
             "mail.example:smtp inet n - n - - smtpd\n",
             "",
             {absl::StrCat("192.0.2.10:25 bind=192.0.2.10 plain relay smtp ", kM, "1 rules=1")}},
        Case{
            "SubmissionByName",
            "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n  -o x=1\n",
            "",
            {absl::StrCat("127.0.0.1:25 bind=all plain relay smtp ", kM, "1 rules=1"),
             absl::StrCat("127.0.0.1:587 bind=all plain submission submission ", kM, "2 rules=2")}},
        Case{"SubmissionsWrappermode",
             "submissions inet n - y - - smtpd\n  -o smtpd_tls_wrappermode=yes\n",
             "",
             {absl::StrCat("127.0.0.1:465 bind=all implicit-tls submission submissions ", kM,
                           "1 rules=1")}},
        Case{"WrappermodeThroughParameter",
             "127.0.0.1:2465 inet n - n - - smtpd -o smtpd_tls_wrappermode=$wrap\n",
             "wrap = yes\n",
             {absl::StrCat("127.0.0.1:2465 bind=127.0.0.1 loopback implicit-tls relay 2465 ", kM,
                           "1 rules=1")}},
        Case{"PortFromServicesFile",
             "imap inet n - n - - smtpd\n",
             "",
             {absl::StrCat("127.0.0.1:143 bind=all plain relay imap ", kM, "1 rules=1")}},
        Case{"RoleFromRelayRules",
             "2526 inet n - n - - smtpd\n  -o smtpd_relay_restrictions=permit_sasl_authenticated,"
             "reject\n2527 inet n - n - - smtpd\n  -o smtpd_relay_restrictions=permit,reject\n",
             "",
             {absl::StrCat("127.0.0.1:2526 bind=all plain submission 2526 ", kM, "1 rules=1"),
              absl::StrCat("127.0.0.1:2527 bind=all plain relay 2527 ", kM, "3 rules=3")}},
        Case{"RecipientListCounts",
             "2526 inet n - n - - smtpd\n  -o smtpd_relay_restrictions=\n"
             "  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject\n",
             "",
             {absl::StrCat("127.0.0.1:2526 bind=all plain submission 2526 ", kM, "1 rules=1")}},
        Case{"PostscreenUsesItsPassService",
             "2526 inet n - y - 1 postscreen\nsmtpd pass - - y - - smtpd\n"
             "  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n"
             "dnsblog unix - - y - 0 dnsblog\n",
             "",
             {absl::StrCat("127.0.0.1:2526 bind=all plain submission 2526 via postscreen ", kM,
                           "1 rules=2")}},
        // Port 25 is the MX port whatever its rules say: require_auth removes
        // permit_mynetworks, and that must not make it a submission port.
        Case{"Port25IsRelayWithoutPermitMynetworks",
             "smtp inet n - y - - smtpd\n"
             "  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject_unauth_destination\n",
             "",
             {absl::StrCat("127.0.0.1:25 bind=all plain relay smtp ", kM, "1 rules=1")}},
        Case{"MainCfRulesKeepACustomPortRelay",
             "2525 inet n - n - - smtpd\n",
             "smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination\n",
             {absl::StrCat("127.0.0.1:2525 bind=all plain relay 2525 ", kM, "1 rules=1")}},
        Case{"PostscreenNamedPassService",
             "smtp inet n - y - 1 postscreen -o smtpd_service_name=mx\nmx pass - - y - - smtpd\n",
             "",
             {absl::StrCat("127.0.0.1:25 bind=all plain relay smtp via postscreen ", kM,
                           "1 rules=2")}},
        Case{"UnixSmtpdIsNoListener",
             "smtpd unix n - n - - smtpd\n2525 inet n - n - - smtpd\n",
             "",
             {absl::StrCat("127.0.0.1:2525 bind=all plain relay 2525 ", kM, "2 rules=2")}},
        Case{"UnknownPortName",
             "nosuch inet n - n - - smtpd\n",
             "",
             {},
             absl::StrCat(kM, "1: service \"nosuch\": service name \"nosuch\" is not a known")},
        Case{"PortOutOfRange", "70000 inet n - n - - smtpd\n", "", {}, "out of range"},
        Case{"ShortLine",
             "pickup unix n - n 60 1 pickup\nsmtp inet n - y smtpd\n",
             "",
             {},
             absl::StrCat(kM, "2: service \"smtp\": 6 fields, master(5) needs 8")},
        Case{"PostscreenWithoutPass",
             "smtp inet n - y - 1 postscreen\n",
             "",
             {},
             "no \"smtpd pass ... smtpd\" service"},
        Case{"Ipv6HostWithIpv4Only",
             "[::1]:25 inet n - n - - smtpd\n",
             "",
             {},
             "the host has no address of the enabled inet_protocols"},
        Case{"BrokenIpv6", "[::1:25 inet n - n - - smtpd\n", "", {}, "[address]:port"},
        Case{"HostDoesNotResolve",
             "nosuch.example:25 inet n - n - - smtpd\n",
             "",
             {},
             "does not resolve"},
        Case{"None", "pickup unix n - n 60 1 pickup\n", "", {}, "no inet smtpd"}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace relayguard::agent::postfix
