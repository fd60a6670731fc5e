#include "agent/mta/sendmail/sendmail_listeners.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace relayguard::agent::sendmail {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kCf[] = "/etc/mail/sendmail.cf";
constexpr char kMc[] = "/etc/mail/sendmail.mc";

SendmailLookups FakeLookups() {
  SendmailLookups l;
  l.service_port = [](absl::string_view s) -> std::optional<uint16_t> {
    if (s == "smtp") return 25;
    if (s == "submission") return 587;
    if (s == "smtps") return 465;
    return std::nullopt;
  };
  l.resolve_host = [](absl::string_view host, IpFamily family) -> std::optional<IpAddress> {
    if (host == "mail.lab.test" && family == IpFamily::kV4) {
      return IpAddress{IpFamily::kV4, {192, 0, 2, 25}};
    }
    return std::nullopt;
  };
  return l;
}

// One expected listener, as Listener::Name() and its other fields.
struct Want {
  std::string name;
  std::string bind;
  bool loopback_only;
  ListenerTls tls;
  ListenerRole role;
  bool auth_required;
};

struct ListenersCase {
  std::string name;
  std::string cf;
  std::string mc;
  std::vector<Want> want;
};

class SendmailListenersTest : public ::testing::TestWithParam<ListenersCase> {};

TEST_P(SendmailListenersTest, OneListenerPerDaemon) {
  absl::StatusOr<std::vector<SendmailListener>> got =
      SendmailListeners(GetParam().cf, kCf, GetParam().mc, kMc, FakeLookups());
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), GetParam().want.size());
  for (size_t i = 0; i < got->size(); ++i) {
    const Listener& l = (*got)[i].listener;
    const Want& w = GetParam().want[i];
    EXPECT_EQ(l.Name(), w.name);
    EXPECT_EQ(l.bind, w.bind) << w.name;
    EXPECT_EQ(l.loopback_only, w.loopback_only) << w.name;
    EXPECT_EQ(l.tls, w.tls) << w.name;
    EXPECT_EQ(l.role, w.role) << w.name;
    EXPECT_EQ((*got)[i].auth_required, w.auth_required) << w.name;
  }
}

constexpr ListenerTls kPlain = ListenerTls::kPlain;
constexpr ListenerTls kTls = ListenerTls::kImplicit;
constexpr ListenerRole kRelay = ListenerRole::kRelay;
constexpr ListenerRole kSubmission = ListenerRole::kSubmission;

INSTANTIATE_TEST_SUITE_P(
    Configs, SendmailListenersTest,
    ::testing::Values(
        // Debian's sendmail.mc: MTA on smtp, MSP on submission with M=Ea, both on loopback;
        // the commented inet6 examples are no daemons.
        ListenersCase{"DebianDefault",
                      "O DaemonPortOptions=Family=inet,  Name=MTA-v4, Port=smtp, Addr=127.0.0.1\n"
                      "O DaemonPortOptions=Family=inet,  Name=MSP-v4, Port=submission, M=Ea, "
                      "Addr=127.0.0.1\n",
                      "FEATURE(`no_default_msa')dnl\n"
                      "dnl DAEMON_OPTIONS(`Family=inet6, Name=MTA-v6, Port=smtp, Addr=::1')dnl\n"
                      "DAEMON_OPTIONS(`Family=inet,  Name=MTA-v4, Port=smtp, Addr=127.0.0.1')dnl\n"
                      "dnl DAEMON_OPTIONS(`Family=inet6, Name=MSP-v6, Port=submission, M=Ea, "
                      "Addr=::1')dnl\n"
                      "DAEMON_OPTIONS(`Family=inet,  Name=MSP-v4, Port=submission, M=Ea, "
                      "Addr=127.0.0.1')dnl\n",
                      {{"127.0.0.1:25 (MTA-v4, /etc/mail/sendmail.mc:3)", "127.0.0.1", true, kPlain,
                        kRelay, false},
                       {"127.0.0.1:587 (MSP-v4, /etc/mail/sendmail.mc:5)", "127.0.0.1", true,
                        kPlain, kSubmission, true}}},
        // m4's defaults without DAEMON_OPTIONS and without no_default_msa: declared in the cf.
        ListenersCase{"M4Defaults",
                      "# x\nO DaemonPortOptions=Name=MTA\nO DaemonPortOptions=Port=587, Name=MSA, "
                      "M=E\n",
                      "OSTYPE(`linux')dnl\n",
                      {{"127.0.0.1:25 (MTA, /etc/mail/sendmail.cf:2)", "0.0.0.0", false, kPlain,
                        kRelay, false},
                       {"127.0.0.1:587 (MSA, /etc/mail/sendmail.cf:3)", "0.0.0.0", false, kPlain,
                        kSubmission, false}}},
        ListenersCase{"NoDaemonLinesIsSendmailsDefault",
                      "V10/Berkeley\n",
                      "",
                      {{"127.0.0.1:25 (Daemon0, sendmail's default: no DaemonPortOptions, "
                        "/etc/mail/sendmail.cf)",
                        "0.0.0.0", false, kPlain, kRelay, false}}},
        ListenersCase{"WildcardAddressesAndSmtps",
                      "O DaemonPortOptions=Port=2525, Addr=0.0.0.0, Name=MTA\n"
                      "O DaemonPortOptions=Port=smtps, Name=TLSMTA, M=s\n"
                      "O DaemonPortOptions=Port=2600, Addr=mail.lab.test\n",
                      "",
                      {{"127.0.0.1:2525 (MTA, /etc/mail/sendmail.cf:1)", "0.0.0.0", false, kPlain,
                        kRelay, false},
                       {"127.0.0.1:465 (TLSMTA, /etc/mail/sendmail.cf:2, implicit TLS)", "0.0.0.0",
                        false, kTls, kSubmission, false},
                       {"192.0.2.25:2600 (Daemon2, /etc/mail/sendmail.cf:3)", "192.0.2.25", false,
                        kPlain, kRelay, false}}},
        ListenersCase{
            "Ipv6",
            "O DaemonPortOptions=Family=inet6, Port=2525, Name=V6Any\n"
            "O DaemonPortOptions=Family=inet6, Port=2526, Addr=::1, Name=V6Lo\n"
            "O DaemonPortOptions=Family=inet, Port=2527, Name=V4\n"
            "O DaemonPortOptions=Family=inet6, Port=2527, Addr=::, Name=V6Beside\n"
            "O DaemonPortOptions=Family=unix, Addr=/run/sm.sock, Name=Local\n",
            "",
            {{"127.0.0.1:2525 (V6Any, /etc/mail/sendmail.cf:1)", "::", false, kPlain, kRelay,
              false},
             {"[::1]:2526 (V6Lo, /etc/mail/sendmail.cf:2)", "::1", true, kPlain, kRelay, false},
             {"127.0.0.1:2527 (V4, /etc/mail/sendmail.cf:3)", "0.0.0.0", false, kPlain, kRelay,
              false},
             {"[::1]:2527 (V6Beside, /etc/mail/sendmail.cf:4)", "::", false, kPlain, kRelay,
              false}}},
        ListenersCase{"RolesByModifierPortAndName",
                      "O DaemonPortOptions=Port=2525, Name=X, M=a\n"
                      "O DaemonPortOptions=Port=2526, Name=msa-extra\n"
                      "O DaemonPortOptions=Port=465, Name=Y\n"
                      "O DaemonPortOptions=Port=2528, Name=Z, M=EA\n",
                      "",
                      {{"127.0.0.1:2525 (X, /etc/mail/sendmail.cf:1)", "0.0.0.0", false, kPlain,
                        kSubmission, true},
                       {"127.0.0.1:2526 (msa-extra, /etc/mail/sendmail.cf:2)", "0.0.0.0", false,
                        kPlain, kSubmission, false},
                       {"127.0.0.1:465 (Y, /etc/mail/sendmail.cf:3)", "0.0.0.0", false, kPlain,
                        kSubmission, false},
                       {"127.0.0.1:2528 (Z, /etc/mail/sendmail.cf:4)", "0.0.0.0", false, kPlain,
                        kRelay, false}}}),
    [](const auto& info) { return info.param.name; });

struct ErrorCase {
  std::string name;
  std::string cf;
  std::string message;
};

class SendmailListenersErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(SendmailListenersErrorTest, NamesTheLineItCannotRead) {
  absl::StatusOr<std::vector<SendmailListener>> got =
      SendmailListeners(GetParam().cf, kCf, "", kMc, FakeLookups());
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Configs, SendmailListenersErrorTest,
    ::testing::Values(
        ErrorCase{"UnknownService", "# c\nO DaemonPortOptions=Port=nosuch, Name=X\n",
                  "/etc/mail/sendmail.cf:2: DaemonPortOptions Port=nosuch is neither a number nor "
                  "a TCP service of /etc/services: relayguard cannot tell where this daemon "
                  "listens; fix it, or give --smtp HOST:PORT"},
        ErrorCase{"PortOutOfRange", "O DaemonPortOptions=Port=70000\n",
                  "/etc/mail/sendmail.cf:1: DaemonPortOptions Port=70000 is not a port number: "
                  "relayguard cannot tell where this daemon listens; fix it, or give --smtp "
                  "HOST:PORT"},
        ErrorCase{"UnresolvableHost", "O DaemonPortOptions=Addr=nowhere.invalid\n",
                  "/etc/mail/sendmail.cf:1: DaemonPortOptions Addr=nowhere.invalid is not an "
                  "IPv4 address of this host: relayguard cannot tell where this daemon listens; "
                  "fix it, or give --smtp HOST:PORT"},
        ErrorCase{"V6AddressOnInet", "O DaemonPortOptions=Addr=::1\n",
                  "/etc/mail/sendmail.cf:1: DaemonPortOptions Addr=::1 is not an IPv4 address "
                  "of this host: relayguard cannot tell where this daemon listens; fix it, or "
                  "give --smtp HOST:PORT"},
        ErrorCase{"OtherFamily", "O DaemonPortOptions=Family=iso\n",
                  "/etc/mail/sendmail.cf:1: DaemonPortOptions Family=iso is neither inet nor "
                  "inet6: relayguard cannot tell where this daemon listens; fix it, or give "
                  "--smtp HOST:PORT"}),
    [](const auto& info) { return info.param.name; });

TEST(SendmailListenersTest, ModifiersWithoutTheirFeatureHaveNoEffect) {
  SendmailLookups lookups = FakeLookups();
  lookups.sasl = false;
  lookups.starttls = false;
  absl::StatusOr<std::vector<SendmailListener>> got = SendmailListeners(
      "O DaemonPortOptions=Port=2525, Name=A, M=as, Bogus=1\n", kCf, "", kMc, lookups);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 1u);
  const SendmailListener& l = got->front();
  EXPECT_FALSE(l.auth_required);
  EXPECT_EQ(l.listener.tls, ListenerTls::kPlain);
  EXPECT_EQ(l.listener.role, ListenerRole::kRelay);
  EXPECT_THAT(l.notes, ElementsAre("M=s has no effect: sendmail was built without STARTTLS",
                                   "M=a has no effect: sendmail was built without SASL",
                                   "sendmail ignores the unknown field \"Bogus=1\""));
}

TEST(SendmailListenersTest, AuthRequiredWithoutAuthOfferedIsNoted) {
  absl::StatusOr<std::vector<SendmailListener>> got = SendmailListeners(
      "O DaemonPortOptions=Port=2525, Name=A, M=aA\n", kCf, "", kMc, FakeLookups());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->front().auth_required);
  EXPECT_THAT(got->front().notes, ElementsAre(HasSubstr("no client can send mail")));
}

TEST(TcpServicePortsTest, ReadsNamesAndAliases) {
  const auto ports = TcpServicePorts(
      "# comment\nsmtp\t\t25/tcp\t\tmail\nsubmissions\t465/tcp\t\tssmtp smtps  # x\n"
      "submission\t587/tcp\nfoo 99/udp\nbad x/tcp\n");
  EXPECT_EQ(ports.at("smtp"), 25);
  EXPECT_EQ(ports.at("mail"), 25);
  EXPECT_EQ(ports.at("smtps"), 465);
  EXPECT_EQ(ports.at("ssmtp"), 465);
  EXPECT_EQ(ports.at("submission"), 587);
  EXPECT_EQ(ports.count("foo"), 0u);
  EXPECT_EQ(ports.count("x"), 0u);
}

}  // namespace
}  // namespace relayguard::agent::sendmail
