// Real-world shapes of open Exim relays, each on a real sandboxed Exim (tests/support/mta_lab.h)
// with several listeners: `relayguard-agent check` must find every one (exit 4, naming the
// listener and the file:line that opens it), `apply` must close it on every listener with a
// minimal diff while 127.0.0.1 (trusted) and 127.0.0.5 (a named partner) keep relaying, and
// `rollback` must restore every byte. Plus Debian's packaged split configuration with
// submission and smtps enabled as README.Debian describes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "tests/support/line_diff.h"
#include "tests/support/mta_lab.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/relay_checks.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::Diff;
using ::relayguard::testing::EximDebianLab;
using ::relayguard::testing::EximLab;
using ::relayguard::testing::FreeLoopbackPort;
using ::relayguard::testing::LineDiff;
using ::relayguard::testing::MtaLab;
using ::relayguard::testing::MtaRoot;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::VerdictFrom;
using ::relayguard::testing::WriteFileOrDie;
using ::testing::HasSubstr;

constexpr char kDisabled[] = "# relayguard: disabled (open relay): ";
constexpr char kRelayFromHosts[] = "hostlist   relay_from_hosts = ";
constexpr char kTrustedAccept[] = "  accept  hosts       = +relay_from_hosts\n";

// Trusted 127.0.0.1, partner 127.0.0.5, untrusted probe 127.0.0.9.
std::string PolicyText() {
  return "name: close-shapes\nversion: 1\nrelay:\n  trusted_networks:\n    - 127.0.0.1/32\n"
         "  partners:\n    - 127.0.0.5/32\nprobe:\n  untrusted_source: 127.0.0.9\n"
         "  trusted_source: 127.0.0.1\n  timeout_ms: 3000\n  settle_timeout_ms: 5000\n";
}

// `text` with the first occurrence of `from` replaced; fails the test when there is none.
std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "no \"" << from << "\" in the lab configuration";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// The 1-based number of the first line of `text` containing `part`.
int LineOf(const std::string& text, const std::string& part) {
  size_t at = text.find(part);
  EXPECT_NE(at, std::string::npos) << part;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

// A self-signed certificate and key Exim (user Debian-exim) can read.
void MakeCertificate(const std::string& cert, const std::string& key) {
  std::string out;
  ASSERT_EQ(RunCommand({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=lab.test"},
                       &out),
            0)
      << out;
  chmod(cert.c_str(), 0644);
  chmod(key.c_str(), 0644);
}

struct Listen {
  int port = 0;
  bool implicit_tls = false;
  bool relay_role = true;  // the trusted client must relay here after apply
};

class EximShapesTest : public ::testing::Test {
 protected:
  EximShapesTest() : lab_("127.0.0.1/32 : 127.0.0.5/32") {
    policy_ = lab_.dir() + "/policy.yaml";
    WriteFileOrDie(policy_, PolicyText());
    a_ = lab_.port();
    b_ = FreeLoopbackPort();
  }

  // Writes the shape's configuration and starts Exim on it.
  void Configure(const std::string& text) {
    WriteFileOrDie(lab_.config_file(), text);
    chmod(lab_.config_file().c_str(), 0644);
    lab_.Start();
    before_ = ReadFileOrDie(lab_.config_file());
  }

  // Enables TLS (STARTTLS everywhere, and TLS on connect where tls_on_connect_ports says).
  std::string WithTls(std::string text) {
    const std::string cert = lab_.config_dir() + "/exim.crt";
    const std::string key = lab_.config_dir() + "/exim.key";
    MakeCertificate(cert, key);
    return Replace(
        text, "tls_advertise_hosts =\n",
        "tls_advertise_hosts = *\ntls_certificate = " + cert + "\ntls_privatekey = " + key + "\n");
  }

  // check finds the open listener(s) and names `mentions`; apply closes every listener with
  // exactly `removed` -> `added`; rollback restores every byte and reopens `open`.
  void ExpectFoundClosedRestored(const std::vector<Listen>& listeners, const Listen& open,
                                 const std::vector<std::string>& mentions,
                                 const std::vector<std::string>& removed,
                                 const std::vector<std::string>& added) {
    ASSERT_EQ(VerdictFrom(open.port, "127.0.0.9", ProbeVerdict::kRelayAccepted, open.implicit_tls),
              ProbeVerdict::kRelayAccepted)
        << "the shape must start open on port " << open.port;
    std::string out;
    EXPECT_EQ(lab_.Agent({"check", "--policy", policy_}, &out), 4) << out;
    for (const std::string& m : mentions) EXPECT_THAT(out, HasSubstr(m)) << out;

    ASSERT_EQ(lab_.Agent({"apply", "--policy", policy_}, &out), 0) << out;
    for (const Listen& l : listeners) {
      EXPECT_EQ(VerdictFrom(l.port, "127.0.0.9", ProbeVerdict::kRefused, l.implicit_tls),
                ProbeVerdict::kRefused)
          << "port " << l.port;
      if (!l.relay_role) continue;
      EXPECT_EQ(VerdictFrom(l.port, "127.0.0.1", ProbeVerdict::kRelayAccepted, l.implicit_tls),
                ProbeVerdict::kRelayAccepted)
          << "trusted on port " << l.port;
    }
    EXPECT_EQ(VerdictFrom(a_, "127.0.0.5", ProbeVerdict::kRelayAccepted),
              ProbeVerdict::kRelayAccepted)
        << "the named partner keeps relaying";
    LineDiff d = Diff(before_, ReadFileOrDie(lab_.config_file()));
    EXPECT_EQ(d.removed, removed);
    EXPECT_EQ(d.added, added);
    EXPECT_EQ(lab_.Agent({"check", "--policy", policy_}, &out), 0) << out;
    EXPECT_EQ(lab_.Agent({"--json", "apply", "--policy", policy_}, &out), 0) << out;
    EXPECT_THAT(out, HasSubstr("\"outcome\":\"unchanged\"")) << "idempotent";

    ASSERT_EQ(lab_.Agent({"rollback", "--policy", policy_}, &out), 0) << out;
    EXPECT_EQ(ReadFileOrDie(lab_.config_file()), before_);
    EXPECT_EQ(VerdictFrom(open.port, "127.0.0.9", ProbeVerdict::kRelayAccepted, open.implicit_tls),
              ProbeVerdict::kRelayAccepted);
  }

  EximLab lab_;
  std::string policy_;
  std::string before_;
  int a_ = 0;
  int b_ = 0;
};

// The shape: two ports, and an accept for the second one before the relay check. Only
// port A was probed before, so check said COMPLIANT while B relayed.
TEST_F(EximShapesTest, AcceptOnTheSecondPortBeforeTheRelayCheck) {
  std::string text = ReadFileOrDie(lab_.config_file());
  const std::string port_b = std::to_string(b_);
  text = Replace(text, "daemon_smtp_ports  = " + std::to_string(a_),
                 "daemon_smtp_ports  = " + std::to_string(a_) + " : " + port_b);
  const std::string accept = "  accept  condition   = ${if eq{$received_port}{" + port_b + "}}\n";
  text = Replace(text, kTrustedAccept, accept + kTrustedAccept);
  Configure(text);
  const std::string line = std::to_string(LineOf(before_, "$received_port"));
  ExpectFoundClosedRestored({{a_}, {b_}}, {b_},
                            {"127.0.0.1:" + port_b, lab_.config_file() + ":" + line}, {accept},
                            {kDisabled + accept});
}

// local_interfaces with ADDRESS.PORT items in a "<;" list: two listeners whatever
// daemon_smtp_ports says, the second opened by an accept for a catch-all network on a port
// condition written with or{}.
TEST_F(EximShapesTest, LocalInterfacesWithPortsAndANetworkOnTheSecond) {
  std::string text = ReadFileOrDie(lab_.config_file());
  const std::string port_a = std::to_string(a_), port_b = std::to_string(b_);
  text = Replace(text, "local_interfaces   = 127.0.0.1",
                 "local_interfaces   = <; 127.0.0.1." + port_a + " ; 127.0.0.1." + port_b);
  const std::string accept =
      "  accept  hosts       = 127.0.0.0/8\n"
      "          condition   = ${if or{{eq{$interface_port}{" +
      port_b + "}}{=={$received_port}{65000}}}}\n";
  text = Replace(text, kTrustedAccept, accept + kTrustedAccept);
  Configure(text);
  const std::string line = std::to_string(LineOf(before_, "127.0.0.0/8"));
  std::vector<std::string> lines = ::relayguard::testing::Lines(accept);
  ExpectFoundClosedRestored({{a_}, {b_}}, {b_},
                            {"127.0.0.1:" + port_b, lab_.config_file() + ":" + line}, lines,
                            {kDisabled + lines[0], kDisabled + lines[1]});
}

// relay_from_hosts read from a file with a catch-all beside a partner's address, and an ACL
// accept for a narrow partner table (net-iplsearch). The catch-all goes with the file (the
// policy's clients, the named partner among them, replace it); the narrow table is kept.
TEST_F(EximShapesTest, HostListFileWithACatchAllBesideANarrowPartner) {
  const std::string hosts = lab_.config_dir() + "/relay_hosts";
  WriteFileOrDie(hosts, "# our relays\n127.0.0.5\n0.0.0.0/0\n");
  const std::string partners = lab_.config_dir() + "/partners.ip";
  WriteFileOrDie(partners, "# partner MX\n127.0.0.6/32: partner-mx\n");
  chmod(hosts.c_str(), 0644);
  chmod(partners.c_str(), 0644);
  std::string text = ReadFileOrDie(lab_.config_file());
  const std::string port_b = std::to_string(b_);
  text = Replace(text, "daemon_smtp_ports  = " + std::to_string(a_),
                 "daemon_smtp_ports  = " + std::to_string(a_) + " : " + port_b);
  const std::string old_list = std::string(kRelayFromHosts) + "127.0.0.1/32 : 127.0.0.5/32\n";
  const std::string file_list = std::string(kRelayFromHosts) + hosts + "\n";
  text = Replace(text, old_list, file_list);
  text = Replace(text, kTrustedAccept,
                 "  accept  hosts       = net-iplsearch;" + partners + "\n" + kTrustedAccept);
  Configure(text);
  ExpectFoundClosedRestored({{a_}, {b_}}, {b_},
                            {"127.0.0.1:" + port_b, hosts + ":3", "relay_from_hosts"}, {file_list},
                            {old_list});
  // The narrow table came back with the rollback; after another apply it still grants.
  std::string out;
  ASSERT_EQ(lab_.Agent({"apply", "--policy", policy_}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr(partners + ":2"));
  EXPECT_EQ(VerdictFrom(b_, "127.0.0.6", ProbeVerdict::kRelayAccepted),
            ProbeVerdict::kRelayAccepted)
      << "the admin's narrow partner table is kept";
}

// An implicit-TLS port (tls_on_connect_ports) that accepts everything: probed with TLS on
// connect, closed, and not smoke-tested (a submission port).
TEST_F(EximShapesTest, ImplicitTlsPortThatAcceptsEverything) {
  std::string text = WithTls(ReadFileOrDie(lab_.config_file()));
  const std::string port_b = std::to_string(b_);
  text = Replace(text, "daemon_smtp_ports  = " + std::to_string(a_),
                 "daemon_smtp_ports  = " + std::to_string(a_) + " : " + port_b +
                     "\ntls_on_connect_ports = " + port_b);
  const std::string accept = "  accept  condition   = ${if ={$received_port}{" + port_b + "}}\n";
  text = Replace(text, kTrustedAccept, accept + kTrustedAccept);
  Configure(text);
  const std::string line = std::to_string(LineOf(before_, "$received_port"));
  ExpectFoundClosedRestored(
      {{a_}, {b_, true, false}}, {b_, true},
      {"127.0.0.1:" + port_b, "implicit TLS", lab_.config_file() + ":" + line}, {accept},
      {kDisabled + accept});
}

// `accept encrypted = *`: anyone who starts TLS relays (the probe does STARTTLS).
TEST_F(EximShapesTest, AcceptForAnyoneWhoStartsTls) {
  std::string text = WithTls(ReadFileOrDie(lab_.config_file()));
  const std::string port_b = std::to_string(b_);
  text = Replace(text, "daemon_smtp_ports  = " + std::to_string(a_),
                 "daemon_smtp_ports  = " + std::to_string(a_) + " : " + port_b);
  const std::string accept = "  accept  encrypted   = *\n";
  text = Replace(text, kTrustedAccept, accept + kTrustedAccept);
  Configure(text);
  const std::string line = std::to_string(LineOf(before_, "encrypted"));
  ExpectFoundClosedRestored(
      {{a_}, {b_}}, {a_},
      {"127.0.0.1:" + std::to_string(a_), "127.0.0.1:" + port_b, lab_.config_file() + ":" + line},
      {accept}, {kDisabled + accept});
}

// A host list lookup relayguard cannot evaluate (cdb) before the relay check: never "closed".
// check is inconclusive naming it, apply refuses with the reason and changes nothing.
TEST_F(EximShapesTest, ALookupItCannotReadIsInconclusiveAndApplyRefuses) {
  std::string text = ReadFileOrDie(lab_.config_file());
  const std::string cdb = lab_.config_dir() + "/partners.cdb";
  text =
      Replace(text, kTrustedAccept, "  accept  hosts       = cdb;" + cdb + "\n" + kTrustedAccept);
  Configure(text);
  const std::string where = lab_.config_file() + ":" + std::to_string(LineOf(before_, "cdb;"));
  std::string out;
  EXPECT_EQ(lab_.Agent({"check", "--policy", policy_}, &out), 4) << out;
  EXPECT_THAT(out, HasSubstr("INCONCLUSIVE"));
  EXPECT_THAT(out, HasSubstr(where));
  EXPECT_EQ(lab_.Agent({"apply", "--policy", policy_}, &out), 2) << out;
  EXPECT_THAT(out, HasSubstr("cannot tell whether it lets strangers relay"));
  EXPECT_EQ(ReadFileOrDie(lab_.config_file()), before_);
}

// Debian's packaged split configuration with submission and smtps enabled as README.Debian
// describes (daemon_smtp_ports and tls_on_connect_ports in conf.d/main/000_localmacros, TLS on),
// wide open through dc_relay_nets.
TEST(EximDebianShapeTest, PackagedSplitConfigWithSubmissionAndSmtps) {
  EximDebianLab lab("0.0.0.0/0");
  const int a = lab.port(), b = FreeLoopbackPort(), c = FreeLoopbackPort();
  const std::string macros = "/etc/exim4/conf.d/main/000_localmacros";
  std::string local = ReadFileOrDie(macros);
  local = Replace(local, "daemon_smtp_ports = " + std::to_string(a),
                  "daemon_smtp_ports = " + std::to_string(a) + " : " + std::to_string(b) + " : " +
                      std::to_string(c) + "\ntls_on_connect_ports = " + std::to_string(c) +
                      "\nMAIN_TLS_ENABLE = yes");
  WriteFileOrDie(macros, local);
  MakeCertificate("/etc/exim4/exim.crt", "/etc/exim4/exim.key");
  std::string out;
  ASSERT_EQ(RunCommand({MtaRoot() + "/usr/sbin/update-exim4.conf", "-d", "/etc/exim4", "-o",
                        lab.daemon_config()},
                       &out),
            0)
      << out;
  chmod(lab.daemon_config().c_str(), 0644);
  lab.Start();
  const std::string policy = lab.dir() + "/policy.yaml";
  WriteFileOrDie(policy, PolicyText());
  const std::string conf = "/etc/exim4/update-exim4.conf.conf";
  const std::string before = ReadFileOrDie(conf);
  ASSERT_EQ(VerdictFrom(c, "127.0.0.9", ProbeVerdict::kRelayAccepted, true),
            ProbeVerdict::kRelayAccepted);

  EXPECT_EQ(lab.Agent({"check", "--policy", policy}, &out), 4) << out;
  EXPECT_THAT(out, HasSubstr("127.0.0.1:" + std::to_string(c)));
  EXPECT_THAT(out, HasSubstr(macros + ":2"));
  EXPECT_THAT(out, HasSubstr(conf + ":" + std::to_string(LineOf(before, "dc_relay_nets"))));

  ASSERT_EQ(lab.Agent({"apply", "--policy", policy}, &out), 0) << out;
  for (int port : {a, b, c}) {
    EXPECT_EQ(VerdictFrom(port, "127.0.0.9", ProbeVerdict::kRefused, port == c),
              ProbeVerdict::kRefused)
        << "port " << port;
  }
  for (int port : {a, b}) {
    EXPECT_EQ(VerdictFrom(port, "127.0.0.1", ProbeVerdict::kRelayAccepted),
              ProbeVerdict::kRelayAccepted);
  }
  EXPECT_EQ(VerdictFrom(a, "127.0.0.5", ProbeVerdict::kRelayAccepted),
            ProbeVerdict::kRelayAccepted);
  LineDiff d = Diff(before, ReadFileOrDie(conf));
  EXPECT_EQ(d.removed, std::vector<std::string>{"dc_relay_nets='0.0.0.0/0'\n"});
  EXPECT_EQ(d.added, std::vector<std::string>{"dc_relay_nets='127.0.0.1/32 ; 127.0.0.5/32'\n"});
  EXPECT_EQ(lab.Agent({"check", "--policy", policy}, &out), 0) << out;

  ASSERT_EQ(lab.Agent({"rollback", "--policy", policy}, &out), 0) << out;
  EXPECT_EQ(ReadFileOrDie(conf), before);
  EXPECT_EQ(VerdictFrom(b, "127.0.0.9", ProbeVerdict::kRelayAccepted),
            ProbeVerdict::kRelayAccepted);
}

}  // namespace
}  // namespace relayguard::agent
