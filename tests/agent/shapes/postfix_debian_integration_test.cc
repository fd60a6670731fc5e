// Debian's packaged Postfix configuration (/usr/share/postfix/main.cf.debian and master.cf.dist)
// with the submission and submissions services enabled as their stock commented examples show,
// run as a real sandboxed instance (free ports for 25/587/465, the lab's paths, loopback, no
// chroot): relayguard-agent finds exactly what is not right (no listener relays; port 25 ends
// relaying with a 4xx defer that proves nothing), applies the policy with two added main.cf
// lines, and rolls back byte for byte.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "agent/probe/relay_probe.h"
#include "tests/support/line_diff.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/relay_checks.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::Diff;
using ::relayguard::testing::FreeLoopbackPort;
using ::relayguard::testing::Lines;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::VerdictFrom;
using ::relayguard::testing::WriteFileOrDie;
using ::testing::HasSubstr;
using ::testing::Not;
using Strings = std::vector<std::string>;

std::string Padded(int port, size_t width) {
  std::string s = std::to_string(port);
  return s + std::string(width > s.size() ? width - s.size() : 1, ' ');
}

// master.cf.dist with smtp, submission and submissions on `ports`, the submission blocks
// uncommented (their "Instead of ..." comment lines stay, between continuation lines), and
// chroot off (the lab has no chroot environment).
std::string LabMasterCf(const std::string& dist, const std::vector<int>& ports) {
  std::string out;
  bool in_block = false;
  for (std::string line : Lines(dist)) {
    if (line.rfind("smtp      inet", 0) == 0) {
      line = Padded(ports[0], 10) + line.substr(10);
    } else if (line.rfind("#submission inet", 0) == 0) {
      line = std::to_string(ports[1]) + line.substr(11);
      in_block = true;
    } else if (line.rfind("#submissions     inet", 0) == 0) {
      line = Padded(ports[2], 16) + line.substr(17);
      in_block = true;
    } else if (in_block && line.rfind("#  -o", 0) == 0) {
      line = line.substr(1);
    } else if (!(in_block && line.rfind("#     ", 0) == 0)) {
      in_block = false;
    }
    if (!line.empty() && line[0] != '#' && line[0] != ' ' && line[0] != '\t') {
      // Column 5 (chroot): "y" -> "n", spacing kept.
      size_t pos = 0;
      for (int field = 0; field < 4 && pos != std::string::npos; ++field) {
        pos = line.find_first_of(" \t", pos);
        pos = pos == std::string::npos ? pos : line.find_first_not_of(" \t", pos);
      }
      if (pos != std::string::npos && line.compare(pos, 2, "y ") == 0) line[pos] = 'n';
    }
    out += line;
  }
  return out;
}

std::string LabMainCf(const std::string& debian, const PostfixLab& lab) {
  const std::string d = lab.dir();
  return debian + "\n# ---- relayguard lab: paths, loopback, nothing delivered, no DNS ----\n" +
         "queue_directory = " + d + "/spool\ndata_directory = " + d + "/data\n" +
         "maillog_file = " + d + "/maillog\nmaillog_file_prefixes = " + d + "\n" +
         "myhostname = deb.lab.test\nmydomain = lab.test\nmydestination = $myhostname, "
         "localhost\ninet_interfaces = 127.0.0.1\ninet_protocols = ipv4\nalias_maps =\n"
         "alias_database =\nlocal_recipient_maps =\ndefault_transport = discard:lab\n"
         "relay_transport = discard:lab\nlocal_transport = discard:lab\n"
         "smtpd_peername_lookup = no\nsmtp_dns_support_level = disabled\n"
         "smtpd_tls_cert_file = " +
         lab.config_dir() +
         "/tls-cert.pem\n"
         "smtpd_tls_key_file = " +
         lab.config_dir() + "/tls-key.pem\n";
}

TEST(PostfixDebianDefaultsTest, SubmissionsEnabledCheckApplyRollback) {
  const std::string debian_main = ReadFileOrDie("/usr/share/postfix/main.cf.debian");
  const std::string dist_master = ReadFileOrDie("/usr/share/postfix/master.cf.dist");
  PostfixLab lab("127.0.0.1/32");
  std::vector<int> ports = {lab.port()};
  while (ports.size() < 3) {
    int p = FreeLoopbackPort();
    if (std::find(ports.begin(), ports.end(), p) == ports.end()) ports.push_back(p);
  }
  const std::string master = LabMasterCf(dist_master, ports);
  ASSERT_THAT(master, HasSubstr(std::to_string(ports[1]) + " inet n       -       n"));
  ASSERT_THAT(master, HasSubstr("\n  -o smtpd_tls_wrappermode=yes\n"));
  ASSERT_THAT(master, HasSubstr("\n  -o smtpd_reject_unlisted_recipient=no\n#     Instead"));
  WriteFileOrDie(lab.master_cf(), master);
  WriteFileOrDie(lab.main_cf(), LabMainCf(debian_main, lab));
  std::string out;
  ASSERT_EQ(
      RunCommand(
          {"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
           "ec_paramgen_curve:P-256", "-nodes", "-keyout", lab.config_dir() + "/tls-key.pem",
           "-out", lab.config_dir() + "/tls-cert.pem", "-days", "1", "-subj", "/CN=deb.lab.test"},
          &out),
      0)
      << out;
  lab.Start();
  const std::string main_before = ReadFileOrDie(lab.main_cf());
  const std::string policy = SourcePath("tests/data/postfix/shapes/close.yaml");
  const std::string dir = lab.config_dir();
  auto name = [&](int i, int line) {
    return "127.0.0.1:" + std::to_string(ports[i]) + " (" + std::to_string(ports[i]) + ", " + dir +
           "/master.cf:" + std::to_string(line);
  };

  // Nothing relays; port 25 is not proven closed (454 from defer_unauth_destination) and the
  // drift says why; the submission services refuse.
  EXPECT_EQ(lab.Agent({"check", "--policy", policy}, &out), 4) << out;
  EXPECT_THAT(out, Not(HasSubstr("relay open")));
  EXPECT_THAT(out, HasSubstr("listener " + name(0, 12) +
                             "): smtpd_relay_restrictions is "
                             "\"permit_mynetworks, permit_sasl_authenticated, "
                             "defer_unauth_destination\""));
  EXPECT_THAT(out, HasSubstr(name(1, 19) + "): refused relaying from 127.0.0.9 (submission)"));
  EXPECT_THAT(out, HasSubstr(name(2, 37) +
                             ", implicit TLS): refused relaying from 127.0.0.9 (submission)"));

  ASSERT_EQ(lab.Agent({"apply", "--policy", policy}, &out), 0) << out;
  ::relayguard::testing::LineDiff d = Diff(main_before, ReadFileOrDie(lab.main_cf()));
  EXPECT_EQ(d.removed, Strings{});
  EXPECT_EQ(d.added, (Strings{"mynetworks = 127.0.0.1/32\n",
                              "smtpd_relay_restrictions = permit_mynetworks, "
                              "permit_sasl_authenticated, reject_unauth_destination\n"}));
  EXPECT_EQ(ReadFileOrDie(lab.master_cf()), master);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(VerdictFrom(ports[i], "127.0.0.9", ProbeVerdict::kRefused, i == 2),
              ProbeVerdict::kRefused)
        << ports[i];
  }
  EXPECT_EQ(VerdictFrom(ports[0], "127.0.0.1", ProbeVerdict::kRelayAccepted),
            ProbeVerdict::kRelayAccepted);
  EXPECT_EQ(lab.Agent({"check", "--policy", policy}, &out), 0) << out;
  EXPECT_EQ(lab.Agent({"apply", "--policy", policy}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("UNCHANGED"));

  ASSERT_EQ(lab.Agent({"rollback"}, &out), 0) << out;
  EXPECT_EQ(ReadFileOrDie(lab.main_cf()), main_before);
  EXPECT_EQ(ReadFileOrDie(lab.master_cf()), master);
}

}  // namespace
}  // namespace relayguard::agent
