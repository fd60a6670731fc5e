// Real-world shapes of open Postfix relays (issue 11), each a real sandboxed Postfix instance
// driven by the real relayguard-agent binary: `check` finds the open listener and names it and
// the file:line that opens it (exit 4); `apply` closes every listener with a minimal diff (the
// exact changed lines are asserted) while trusted clients and partners still relay; the
// configuration then checks compliant and re-applies as unchanged; `rollback` restores every
// byte.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "agent/probe/relay_probe.h"
#include "tests/support/line_diff.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/postfix_tls.h"
#include "tests/support/relay_checks.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::Diff;
using ::relayguard::testing::FreeLoopbackPort;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::VerdictFrom;
using ::relayguard::testing::WriteFileOrDie;
using ::testing::HasSubstr;
using Strings = std::vector<std::string>;

// A text edit made before the instance starts: replace the first `find` in `file` ("main.cf",
// "master.cf") with `with`, or append `with` when `find` is empty.
struct Edit {
  std::string file;
  std::string find;
  std::string with;
};

struct Door {
  int port = 0;          // 0: the lab's own listener, 1 and 2: extra free ports
  bool tls = false;      // TLS on connect
  bool relay = true;     // trusted 127.0.0.1 relays through it after the fix
  bool partner = false;  // 127.0.0.5 relays through it after the fix
};

struct Shape {
  std::string name;
  std::string lab_mynetworks;
  std::vector<Edit> edits;
  std::map<std::string, std::string> files;  // written into the config dir
  std::string policy;                        // under tests/data/postfix/shapes/
  std::vector<Door> doors;
  Strings check_mentions;                                          // in `check` output
  Strings main_removed, main_added, master_removed, master_added;  // exact lines, no '\n'
  Strings apply_mentions = {};                                     // in `apply` output
  bool tls = false;     // the instance needs a certificate
  bool tables = false;  // relies on the lookup table reader (lookup_table.h)
};

void PrintTo(const Shape& shape, std::ostream* os) { *os << shape.name; }

// Placeholders in shape texts: {P0} {P1} {P2} ports, {DIR} the config dir.
std::string Fill(const std::string& text, const std::vector<int>& ports, const std::string& dir) {
  return absl::StrReplaceAll(text, {{"{P0}", std::to_string(ports[0])},
                                    {"{P1}", std::to_string(ports[1])},
                                    {"{P2}", std::to_string(ports[2])},
                                    {"{DIR}", dir}});
}

Strings FillAll(const Strings& lines, const std::vector<int>& ports, const std::string& dir,
                bool newline) {
  Strings out;
  for (const std::string& l : lines) out.push_back(Fill(l, ports, dir) + (newline ? "\n" : ""));
  return out;
}

constexpr const char* kDefer = "    defer_unauth_destination";
constexpr const char* kReject = "    reject_unauth_destination";
constexpr const char* kLabRelayList =
    "smtpd_relay_restrictions = permit_mynetworks,\n    permit_sasl_authenticated,\n"
    "    defer_unauth_destination\n";
constexpr const char* kLabListener =
    "127.0.0.1:{P0}  inet  n       -       n       -       -       smtpd\n";

std::vector<Shape> Shapes() {
  return {
      Shape{"SecondListenerWithOpenMynetworksOverride",
            "127.0.0.1/32",
            {{"master.cf", "",
              "127.0.0.1:{P1} inet n - n - - smtpd\n"
              "  -o syslog_name=postfix/second\n  -o mynetworks=0.0.0.0/0\n"}},
            {},
            "close.yaml",
            {{0}, {1}},
            {"relay open on 127.0.0.1:{P1} ({P1}, {DIR}/master.cf:20)", "({DIR}/master.cf:22)"},
            {kDefer},
            {kReject},
            {"  -o mynetworks=0.0.0.0/0"},
            {}},
      Shape{"WrappermodeListenerWithOpenMynetworksOverride",
            "127.0.0.1/32",
            {{"master.cf", "",
              "127.0.0.1:{P1} inet n - n - - smtpd\n"
              "  -o syslog_name=postfix/smtps\n  -o smtpd_tls_wrappermode=yes\n"
              "  -o mynetworks=0.0.0.0/0\n"}},
            {},
            "close.yaml",
            {{0}, {1, true}},
            {"relay open on 127.0.0.1:{P1} ({P1}, {DIR}/master.cf:20, implicit TLS)",
             "({DIR}/master.cf:23)"},
            {kDefer},
            {kReject},
            {"  -o mynetworks=0.0.0.0/0"},
            {},
            {},
            true},
      Shape{"OnlyListenerWithOpenMynetworksOverride",
            "127.0.0.1/32",
            {{"master.cf", "smtpd\n", "smtpd\n  -o mynetworks=0.0.0.0/0\n"}},
            {},
            "close.yaml",
            {{0}},
            {"relay open on 127.0.0.1:{P0} ({P0}, {DIR}/master.cf:2)", "({DIR}/master.cf:3)"},
            {kDefer},
            {kReject},
            {"  -o mynetworks=0.0.0.0/0"},
            {}},
      Shape{"PartnerTableInRelayRestrictionsIsKept",
            "0.0.0.0/0",
            {{"main.cf", kLabRelayList,
              "smtpd_relay_restrictions = permit_mynetworks,\n"
              "    check_client_access cidr:{DIR}/partners.cidr,\n"
              "    reject_unauth_destination\n"}},
            {{"partners.cidr", "# our partner's outbound relay\n127.0.0.5/32 OK\n"}},
            "close.yaml",
            {{0, false, true, true}},
            {"relay open on 127.0.0.1:{P0} ({P0}, {DIR}/master.cf:2)", "({DIR}/main.cf:30)"},
            {"mynetworks = 0.0.0.0/0"},
            {"mynetworks = 127.0.0.1/32"},
            {},
            {},
            {"kept: {DIR}/partners.cidr:2: check_client_access cidr:{DIR}/partners.cidr grants "
             "127.0.0.5/32 (kept:"},
            false,
            true},
      // Postfix ignores what follows a bare `permit` and refuses to start without a working
      // reject, so a list opens through what it cannot see into: a restriction class.
      Shape{"SubmissionThroughMuaRelayRestrictions",
            "127.0.0.1/32",
            {{"master.cf", "",
              "127.0.0.1:{P1} inet n - n - - smtpd\n"
              "  -o syslog_name=postfix/submission\n"
              "  -o smtpd_relay_restrictions=$mua_relay_restrictions\n"},
             {"main.cf", "",
              "smtpd_restriction_classes = mua_clients\nmua_clients = permit\n"
              "mua_relay_restrictions = permit_sasl_authenticated, mua_clients, "
              "reject\n"}},
            {},
            "close.yaml",
            {{0}, {1, false, false}},
            {"listener 127.0.0.1:{P1} ({P1}, {DIR}/master.cf:20): smtpd_relay_restrictions is "
             "\"restriction class mua_clients: permit lets every client through\"",
             "({DIR}/main.cf:35)"},
            {kDefer, "mua_relay_restrictions = permit_sasl_authenticated, mua_clients, reject"},
            {kReject, "mua_relay_restrictions = permit_sasl_authenticated, reject, mua_clients"},
            {},
            {}},
      Shape{"CatchAllCidrEntryMovedPartnerNamedByPolicy",
            "127.0.0.1/32",
            {{"main.cf", kLabRelayList,
              "smtpd_relay_restrictions = permit_mynetworks,\n"
              "    check_client_access cidr:{DIR}/clients.cidr,\n"
              "    reject_unauth_destination\n"}},
            {{"clients.cidr", "127.0.0.5 OK\n0.0.0.0/0 OK\n"}},
            "close-partner.yaml",
            {{0, false, true, true}},
            {"relay open on 127.0.0.1:{P0}", "({DIR}/clients.cidr:2)"},
            {"mynetworks = 127.0.0.1/32", "    check_client_access cidr:{DIR}/clients.cidr,",
             kReject},
            {"mynetworks = 127.0.0.1/32, 127.0.0.5/32", "    reject_unauth_destination,",
             "    check_client_access cidr:{DIR}/clients.cidr"},
            {},
            {},
            {"moved check_client_access cidr:{DIR}/clients.cidr after "
             "reject_unauth_destination"},
            false,
            true},
      Shape{"CatchAllRegexpInAnOverride",
            "127.0.0.1/32",
            {{"master.cf", "",
              "127.0.0.1:{P1} inet n - n - - smtpd -o smtpd_relay_restrictions="
              "permit_mynetworks,check_client_access,regexp:{DIR}/open.regexp,"
              "reject_unauth_destination\n"}},
            {{"open.regexp", "# everyone\n/^/ OK\n"}},
            "close.yaml",
            {{0}, {1}},
            {"relay open on 127.0.0.1:{P1}", "({DIR}/open.regexp:2)"},
            {kDefer},
            {kReject},
            {"127.0.0.1:{P1} inet n - n - - smtpd -o smtpd_relay_restrictions="
             "permit_mynetworks,check_client_access,regexp:{DIR}/open.regexp,"
             "reject_unauth_destination"},
            {"127.0.0.1:{P1} inet n - n - - smtpd -o smtpd_relay_restrictions="
             "permit_mynetworks,reject_unauth_destination,check_client_access,"
             "regexp:{DIR}/open.regexp"},
            {},
            false,
            true},
      Shape{"PostscreenInFrontOfAnOpenSmtpd",
            "127.0.0.1/32",
            {{"master.cf", kLabListener,
              "127.0.0.1:{P0}  inet  n       -       n       -       1       postscreen\n"
              "smtpd            pass  -       -       n       -       -       smtpd\n"
              "  -o mynetworks=0.0.0.0/0\n"
              "dnsblog          unix  -       -       n       -       0       dnsblog\n"
              "tlsproxy         unix  -       -       n       -       0       tlsproxy\n"},
             {"main.cf", "", "postscreen_greet_wait = 1s\n"}},
            {},
            "close.yaml",
            {{0}},
            {"relay open on 127.0.0.1:{P0} ({P0} via postscreen, {DIR}/master.cf:2)",
             "({DIR}/master.cf:4)"},
            {kDefer},
            {kReject},
            {"  -o mynetworks=0.0.0.0/0"},
            {}},
      Shape{"MynetworksStyleSubnetWithoutMynetworks",
            "127.0.0.1/32",
            {{"main.cf", "mynetworks = 127.0.0.1/32\n", "mynetworks_style = subnet\n"}},
            {},
            "close.yaml",
            {{0}},
            {"mynetworks holds 127.0.0.0/8", "({DIR}/main.cf:30)"},
            {kDefer},
            {kReject, "mynetworks = 127.0.0.1/32"},
            {},
            {}},
      Shape{"OpenSubmissionListenerThroughARestrictionClass",
            "127.0.0.1/32",
            {{"master.cf", "",
              "127.0.0.1:{P1} inet n - n - - smtpd\n"
              "  -o syslog_name=postfix/submission\n"
              "  -o smtpd_relay_restrictions=\n"
              "  -o smtpd_recipient_restrictions=permit_sasl_authenticated,"
              "anyone,reject\n"},
             {"main.cf", "", "smtpd_restriction_classes = anyone\nanyone = permit\n"}},
            {},
            "close.yaml",
            {{0}, {1, false, false}},
            {"listener 127.0.0.1:{P1} ({P1}, {DIR}/master.cf:20): smtpd_recipient_restrictions "
             "is \"restriction class anyone: permit lets every client through\"",
             "({DIR}/main.cf:35)"},
            {kDefer},
            {kReject},
            {"  -o smtpd_recipient_restrictions=permit_sasl_authenticated,anyone,reject"},
            {"  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject,anyone"}},
  };
}

class PostfixShapesTest : public ::testing::TestWithParam<Shape> {};

TEST_P(PostfixShapesTest, CheckFindsApplyClosesRollbackRestores) {
  const Shape& shape = GetParam();
  PostfixLab lab(shape.lab_mynetworks);
  const std::string dir = lab.config_dir();
  // Nothing listens on these yet, so the kernel may hand out the same free port twice.
  std::vector<int> ports = {lab.port()};
  while (ports.size() < 3) {
    int p = FreeLoopbackPort();
    if (std::find(ports.begin(), ports.end(), p) == ports.end()) ports.push_back(p);
  }
  for (const Edit& e : shape.edits) {
    const std::string path = dir + "/" + e.file;
    std::string text = ReadFileOrDie(path);
    if (e.find.empty()) {
      text += Fill(e.with, ports, dir);
    } else {
      const std::string find = Fill(e.find, ports, dir);
      ASSERT_NE(text.find(find), std::string::npos) << e.file << ": " << find;
      text.replace(text.find(find), find.size(), Fill(e.with, ports, dir));
    }
    WriteFileOrDie(path, text);
  }
  for (const auto& [name, contents] : shape.files) {
    WriteFileOrDie(dir + "/" + name, Fill(contents, ports, dir));
  }
  lab.Start();
  if (shape.tls) {
    ASSERT_EQ(::relayguard::testing::EnablePostfixStartTls(lab), "");
  }
  const std::string policy = SourcePath("tests/data/postfix/shapes/" + shape.policy);
  int open_doors = 0;
  for (const Door& d : shape.doors) {
    open_doors +=
        ::relayguard::testing::ProbeFrom(ports[d.port], "127.0.0.9", std::chrono::seconds(3), d.tls)
            .verdict == ProbeVerdict::kRelayAccepted;
  }
  ASSERT_GT(open_doors, 0) << "the shape is not open";
  const std::string main_before = ReadFileOrDie(lab.main_cf());
  const std::string master_before = ReadFileOrDie(lab.master_cf());

  std::string out;
  EXPECT_EQ(lab.Agent({"check", "--policy", policy}, &out), 4) << out;
  for (const std::string& m : shape.check_mentions) {
    EXPECT_THAT(out, HasSubstr(Fill(m, ports, dir))) << out;
  }

  ASSERT_EQ(lab.Agent({"apply", "--policy", policy}, &out), 0) << out;
  for (const std::string& m : shape.apply_mentions) {
    EXPECT_THAT(out, HasSubstr(Fill(m, ports, dir))) << out;
  }
  for (const Door& d : shape.doors) {
    const int port = ports[d.port];
    EXPECT_EQ(VerdictFrom(port, "127.0.0.9", ProbeVerdict::kRefused, d.tls), ProbeVerdict::kRefused)
        << port;
    if (d.relay) {
      EXPECT_EQ(VerdictFrom(port, "127.0.0.1", ProbeVerdict::kRelayAccepted, d.tls),
                ProbeVerdict::kRelayAccepted)
          << port;
    }
    if (d.partner) {
      EXPECT_EQ(VerdictFrom(port, "127.0.0.5", ProbeVerdict::kRelayAccepted, d.tls),
                ProbeVerdict::kRelayAccepted)
          << port;
    }
  }
  ::relayguard::testing::LineDiff main_diff = Diff(main_before, ReadFileOrDie(lab.main_cf()));
  EXPECT_EQ(main_diff.removed, FillAll(shape.main_removed, ports, dir, true));
  EXPECT_EQ(main_diff.added, FillAll(shape.main_added, ports, dir, true));
  ::relayguard::testing::LineDiff master_diff = Diff(master_before, ReadFileOrDie(lab.master_cf()));
  EXPECT_EQ(master_diff.removed, FillAll(shape.master_removed, ports, dir, true));
  EXPECT_EQ(master_diff.added, FillAll(shape.master_added, ports, dir, true));

  // Fixed for good: compliant, and applying again changes nothing.
  EXPECT_EQ(lab.Agent({"check", "--policy", policy}, &out), 0) << out;
  EXPECT_EQ(lab.Agent({"apply", "--policy", policy}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("UNCHANGED"));

  ASSERT_EQ(lab.Agent({"rollback"}, &out), 0) << out;
  EXPECT_EQ(ReadFileOrDie(lab.main_cf()), main_before);
  EXPECT_EQ(ReadFileOrDie(lab.master_cf()), master_before);
}

INSTANTIATE_TEST_SUITE_P(Open, PostfixShapesTest, ::testing::ValuesIn(Shapes()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace relayguard::agent
