// Open Sendmail shapes from the real world (issue 11), each a real sandboxed Sendmail
// (tests/support/mta_lab.h) probed from 127.0.0.9: several daemons (an MSA-like second port, an
// SMTPS daemon), FEATURE(promiscuous_relay) and relay_entire_domain, a wide Connect:127 beside a
// partner's narrow entry, an untagged wide key, a wide relay-domains entry, and Debian's
// packaged sendmail.mc. For each: `check` exits 4 naming the listeners and the file:line that
// opens them; `apply` closes every listener with the exact line changes expected and keeps the
// admin's narrow grant, 127.0.0.1 and the partner 127.0.0.5 still relay; `rollback` restores
// every byte.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/probe/relay_probe.h"
#include "tests/support/line_diff.h"
#include "tests/support/mta_lab.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/relay_checks.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::Diff;
using ::relayguard::testing::LineDiff;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::SendmailDebianLab;
using ::relayguard::testing::SendmailLab;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::WriteFileOrDie;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Trusts 127.0.0.1 and ::1, names 127.0.0.5 as a partner.
const std::string kPolicy = SourcePath("tests/data/sendmail/shapes-policy.yaml");
// Trusts 127.0.0.1 and ::1 only: a partner entry in the access map is the admin's own rule.
const std::string kNoPartners = SourcePath("tests/data/apply/close.yaml");

// A listener of the lab: where it is, what the configuration calls it.
struct Door {
  int port;
  std::string name;  // Name= of its DAEMON_OPTIONS
  bool tls = false;  // M=s: TLS on connect
};

ProbeVerdict Verdict(const Door& door, const std::string& source, ProbeVerdict want) {
  return ::relayguard::testing::VerdictFrom(door.port, source, want, door.tls);
}

std::string ListenerName(const Door& door) {
  return absl::StrCat("127.0.0.1:", door.port, " (", door.name, ", ");
}

// The 1-based number of the first line of `text` that starts with `start`.
size_t LineOf(const std::string& text, const std::string& start) {
  const std::vector<std::string> lines = ::relayguard::testing::Lines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind(start, 0) == 0) return i + 1;
  }
  ADD_FAILURE() << "no line starts with " << start;
  return 0;
}

std::string Where(const std::string& path, size_t line) {
  return absl::StrCat(path, ":", line, ")");
}

// The DaemonPortOptions lines of a sendmail.cf (a rebuilt cf differs in m4's date stamp).
std::vector<std::string> DaemonLines(const std::string& cf) {
  std::vector<std::string> lines;
  for (absl::string_view l : absl::StrSplit(cf, '\n')) {
    if (absl::StartsWith(l, "O DaemonPortOptions=")) lines.emplace_back(l);
  }
  return lines;
}

class SendmailShapesTest : public ::testing::Test {
 protected:
  // Starts the lab, proves every door relays for 127.0.0.9, keeps the files.
  void StartOpen(SendmailLab& lab, const std::vector<Door>& doors) {
    lab.Start();
    for (const Door& d : doors) {
      ASSERT_EQ(Verdict(d, "127.0.0.9", ProbeVerdict::kRelayAccepted), ProbeVerdict::kRelayAccepted)
          << d.name << " should relay before relayguard";
    }
    before_ = ::relayguard::testing::ManagedFiles(lab);
  }

  // `check` exits 4 and names every door and every `where` ("PATH:LINE").
  void ExpectCheckFinds(SendmailLab& lab, const std::string& policy, const std::vector<Door>& doors,
                        const std::vector<std::string>& wheres) {
    std::string out;
    EXPECT_EQ(lab.Agent({"check", "--policy", policy}, &out), 4) << out;
    for (const Door& d : doors) EXPECT_THAT(out, HasSubstr(ListenerName(d))) << out;
    for (const std::string& w : wheres) EXPECT_THAT(out, HasSubstr(w)) << out;
  }

  // `apply` exits 0; every door refuses 127.0.0.9; on the MTA door 127.0.0.1 and the partner
  // 127.0.0.5 relay; applying again changes nothing. Returns apply's output.
  std::string ExpectApplyCloses(SendmailLab& lab, const std::string& policy,
                                const std::vector<Door>& doors) {
    std::string out;
    EXPECT_EQ(lab.Agent({"apply", "--policy", policy}, &out), 0) << out;
    for (const Door& d : doors) {
      EXPECT_EQ(Verdict(d, "127.0.0.9", ProbeVerdict::kRefused), ProbeVerdict::kRefused)
          << d.name << "\n"
          << out;
    }
    const Door& mta = doors.front();
    EXPECT_EQ(Verdict(mta, "127.0.0.1", ProbeVerdict::kRelayAccepted),
              ProbeVerdict::kRelayAccepted);
    EXPECT_EQ(Verdict(mta, "127.0.0.5", ProbeVerdict::kRelayAccepted), ProbeVerdict::kRelayAccepted)
        << "the partner must still relay";
    std::string again;
    EXPECT_EQ(lab.Agent({"--json", "apply", "--policy", policy}, &again), 0) << again;
    EXPECT_THAT(again, HasSubstr("\"outcome\":\"unchanged\""));
    std::string check;
    EXPECT_EQ(lab.Agent({"check", "--policy", policy}, &check), 0) << check;
    return out;
  }

  LineDiff Changed(const std::string& path) const {
    return Diff(before_.at(path), ReadFileOrDie(path));
  }

  // `rollback` restores every byte and the relay is open again on the MTA door.
  void ExpectRollbackRestores(SendmailLab& lab, const std::string& policy, const Door& mta) {
    std::string out;
    ASSERT_EQ(lab.Agent({"rollback", "--policy", policy}, &out), 0) << out;
    EXPECT_EQ(::relayguard::testing::ManagedFiles(lab), before_);
    EXPECT_EQ(Verdict(mta, "127.0.0.9", ProbeVerdict::kRelayAccepted),
              ProbeVerdict::kRelayAccepted);
  }

  std::map<std::string, std::string> before_;
};

// An MTA port and a second, MSA-like port (no M=a: it takes mail from anyone), both opened by
// FEATURE(promiscuous_relay).
TEST_F(SendmailShapesTest, TwoDaemonsWithPromiscuousRelay) {
  SendmailLab lab(/*open=*/true);
  const int msa = lab.AddDaemon("Name=MSA-lab, M=E");
  lab.Rebuild();
  const std::vector<Door> doors = {{lab.port(), "MTA-lab"}, {msa, "MSA-lab"}};
  StartOpen(lab, doors);
  ExpectCheckFinds(lab, kPolicy, doors,
                   {"FEATURE(promiscuous_relay) is \"present\"",
                    Where(lab.mc(), LineOf(before_.at(lab.mc()), "FEATURE(`promiscuous_relay')"))});
  ExpectApplyCloses(lab, kPolicy, doors);
  LineDiff mc = Changed(lab.mc());
  EXPECT_THAT(mc.removed, ElementsAre("FEATURE(`promiscuous_relay')dnl\n"));
  EXPECT_THAT(mc.added, IsEmpty());
  LineDiff access = Changed(lab.access());
  EXPECT_THAT(access.removed, IsEmpty());
  EXPECT_THAT(access.added,
              ElementsAre("Connect:IPv6:0:0:0:0:0:0:0:1\tRELAY\n", "Connect:127.0.0.5\tRELAY\n"));
  EXPECT_EQ(DaemonLines(ReadFileOrDie(lab.cf())), DaemonLines(before_.at(lab.cf())));
  ExpectRollbackRestores(lab, kPolicy, doors.front());
}

// A wide Connect:127 (it covers 127.0.0.9) beside a partner's narrow entry the policy does not
// name: the wide one goes, the narrow one is the admin's rule and stays (reported as kept).
TEST_F(SendmailShapesTest, WideConnectBesideANarrowPartnerEntry) {
  SendmailLab lab(/*open=*/false);
  lab.AddAccessLines("Connect:127\tRELAY\nConnect:127.0.0.5\tRELAY\n");
  lab.Rebuild();
  const std::vector<Door> doors = {{lab.port(), "MTA-lab"}};
  StartOpen(lab, doors);
  ExpectCheckFinds(
      lab, kNoPartners, doors,
      {"access Connect:127 RELAY is \"lets clients in 127.0.0.0/8 relay\"", lab.access() + ":3)"});
  const std::string out = ExpectApplyCloses(lab, kNoPartners, doors);
  EXPECT_THAT(out, HasSubstr("kept: " + lab.access() +
                             ":4: Connect:127.0.0.5 RELAY lets clients in 127.0.0.5/32 relay"));
  LineDiff access = Changed(lab.access());
  EXPECT_THAT(access.removed, ElementsAre("Connect:127\tRELAY\n"));
  EXPECT_THAT(access.added, ElementsAre("Connect:IPv6:0:0:0:0:0:0:0:1\tRELAY\n"));
  EXPECT_EQ(ReadFileOrDie(lab.mc()), before_.at(lab.mc()));
  EXPECT_EQ(ReadFileOrDie(lab.cf()), before_.at(lab.cf()));
  ExpectRollbackRestores(lab, kNoPartners, doors.front());
}

// Writes a self-signed certificate and its key under DIR/etc/tls and has sendmail.mc use them.
void AddTls(SendmailLab& lab) {
  const std::string tls = lab.config_dir() + "/tls";
  std::filesystem::create_directories(tls);
  std::string out;
  ASSERT_EQ(
      ::relayguard::testing::RunCommand(
          {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
           tls + "/key.pem", "-out", tls + "/cert.pem", "-days", "2", "-subj", "/CN=mx.lab.test"},
          &out),
      0)
      << out;
  // sendmail refuses a key others can read.
  std::filesystem::permissions(
      tls + "/key.pem", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  lab.AddMcLines(absl::StrCat("define(`confCACERT_PATH', `", tls, "')dnl\n",
                              "define(`confCACERT', `", tls, "/cert.pem')dnl\n",
                              "define(`confSERVER_CERT', `", tls, "/cert.pem')dnl\n",
                              "define(`confSERVER_KEY', `", tls, "/key.pem')dnl\n"));
}

// An untagged wide key (127.0.0 covers 127.0.0.9 for Connect: lookups too) opens the MTA port
// and an SMTPS daemon (M=s, TLS on connect).
TEST_F(SendmailShapesTest, UntaggedWideKeyOpensTheMtaAndTheSmtpsDaemon) {
  SendmailLab lab(/*open=*/false);
  AddTls(lab);
  const int smtps = lab.AddDaemon("Name=TLSMTA, M=s");
  lab.AddAccessLines("127.0.0\tRELAY\n");
  lab.Rebuild();
  const std::vector<Door> doors = {{lab.port(), "MTA-lab"}, {smtps, "TLSMTA", true}};
  StartOpen(lab, doors);
  ExpectCheckFinds(lab, kPolicy, doors,
                   {"access 127.0.0 RELAY is \"lets clients in 127.0.0.0/24 relay\"",
                    lab.access() + ":3)", "implicit TLS"});
  ExpectApplyCloses(lab, kPolicy, doors);
  LineDiff access = Changed(lab.access());
  EXPECT_THAT(access.removed, ElementsAre("127.0.0\tRELAY\n"));
  EXPECT_THAT(access.added,
              ElementsAre("Connect:IPv6:0:0:0:0:0:0:0:1\tRELAY\n", "Connect:127.0.0.5\tRELAY\n"));
  EXPECT_EQ(ReadFileOrDie(lab.mc()), before_.at(lab.mc()));
  ExpectRollbackRestores(lab, kPolicy, doors.front());
}

// FEATURE(relay_entire_domain): every client named in the local domain relays, and
// 127.0.0.9 is untrusted.lab.test.
TEST_F(SendmailShapesTest, RelayEntireDomain) {
  SendmailLab lab(/*open=*/false);
  lab.AddMcLines("FEATURE(`relay_entire_domain')dnl\n");
  lab.AddHostsLines("127.0.0.9\tuntrusted.lab.test\n");
  lab.Rebuild();
  const std::vector<Door> doors = {{lab.port(), "MTA-lab"}};
  StartOpen(lab, doors);
  ExpectCheckFinds(
      lab, kPolicy, doors,
      {"FEATURE(relay_entire_domain) is \"present\"",
       Where(lab.mc(), LineOf(before_.at(lab.mc()), "FEATURE(`relay_entire_domain')"))});
  ExpectApplyCloses(lab, kPolicy, doors);
  LineDiff mc = Changed(lab.mc());
  EXPECT_THAT(mc.removed, ElementsAre("FEATURE(`relay_entire_domain')dnl\n"));
  EXPECT_THAT(mc.added, IsEmpty());
  ExpectRollbackRestores(lab, kPolicy, doors.front());
}

// A wide relay-domains entry (class {R}): relayguard does not edit that file, so `check` names
// it and `apply` refuses, changing nothing: the host is never called closed.
TEST_F(SendmailShapesTest, WideRelayDomainsEntryIsFoundAndRefused) {
  SendmailLab lab(/*open=*/false);
  WriteFileOrDie(lab.relay_domains(), "# hosts and networks that may relay\n127\n");
  const std::vector<Door> doors = {{lab.port(), "MTA-lab"}};
  StartOpen(lab, doors);
  ExpectCheckFinds(lab, kPolicy, doors,
                   {"class {R} member 127 is \"lets clients in 127.0.0.0/8 relay\"",
                    lab.relay_domains() + ":2)"});
  std::string out;
  EXPECT_EQ(lab.Agent({"apply", "--policy", kPolicy}, &out), 2) << out;
  EXPECT_THAT(out, HasSubstr(lab.relay_domains() + ":2: class {R} member 127"));
  EXPECT_EQ(::relayguard::testing::ManagedFiles(lab), before_);
  EXPECT_EQ(Verdict(doors.front(), "127.0.0.9", ProbeVerdict::kRelayAccepted),
            ProbeVerdict::kRelayAccepted);
}

// Debian's packaged sendmail.mc (MTA-v4, and MSP-v4 with M=Ea, which lets nobody in without
// authentication; the inet6 daemons commented out) with Debian's access file, whose
// Connect:127 RELAY covers 127.0.0.9.
TEST_F(SendmailShapesTest, DebianPackagedDefault) {
  SendmailDebianLab lab;
  const Door mta{lab.port(), "MTA-v4"};
  const Door msp{lab.submission_port(), "MSP-v4"};
  StartOpen(lab, {mta});
  EXPECT_EQ(Verdict(msp, "127.0.0.9", ProbeVerdict::kRefused), ProbeVerdict::kRefused)
      << "M=a: 530 Authentication required";
  const std::string debian_line = "Connect:127\t\t\t\tRELAY\n";
  const std::vector<std::string> lines = ::relayguard::testing::Lines(before_.at(lab.access()));
  const size_t at = std::find(lines.begin(), lines.end(), debian_line) - lines.begin();
  ASSERT_LT(at, lines.size()) << "Debian's access file changed";
  const std::string mta_at = Where(lab.mc(), LineOf(before_.at(lab.mc()),
                                                    "DAEMON_OPTIONS(`"
                                                    "Family=inet,  Name=MTA"));
  const std::string msp_at = Where(lab.mc(), LineOf(before_.at(lab.mc()),
                                                    "DAEMON_OPTIONS(`"
                                                    "Family=inet,  Name=MSP"));
  ExpectCheckFinds(lab, kPolicy, {mta, msp}, {Where(lab.access(), at + 1), mta_at, msp_at});
  std::string check;
  lab.Agent({"check", "--policy", kPolicy}, &check);
  // The access map does not open the M=a daemon: no finding names it.
  EXPECT_THAT(check, Not(HasSubstr(absl::StrCat(ListenerName(msp),
                                                msp_at.substr(0, msp_at.size() - 1), "): access"))))
      << check;
  ExpectApplyCloses(lab, kPolicy, {mta, msp});
  LineDiff access = Changed(lab.access());
  EXPECT_THAT(access.removed, ElementsAre(debian_line));
  EXPECT_THAT(access.added,
              ElementsAre("Connect:127.0.0.1\tRELAY\n", "Connect:IPv6:0:0:0:0:0:0:0:1\tRELAY\n",
                          "Connect:127.0.0.5\tRELAY\n"));
  EXPECT_EQ(ReadFileOrDie(lab.mc()), before_.at(lab.mc()));
  EXPECT_EQ(ReadFileOrDie(lab.cf()), before_.at(lab.cf()));
  ExpectRollbackRestores(lab, kPolicy, mta);
}

}  // namespace
}  // namespace relayguard::agent
