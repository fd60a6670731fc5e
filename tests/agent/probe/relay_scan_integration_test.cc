// `relayguardctl scan` end to end: the real binary against real, sandboxed Postfix instances on
// loopback (one open relay, one closed), from the untrusted source 127.0.0.9.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "tests/support/postfix_lab.h"
#include "tests/support/postfix_tls.h"
#include "tests/support/wait.h"

namespace relayguard {
namespace {

using ::relayguard::testing::CountOf;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::WriteFileOrDie;
using ::testing::HasSubstr;

const std::string kCtl = std::string(RG_BINARY_DIR) + "/controller/relayguardctl";

// The table row of `target` (the whole line), or "" when there is none.
std::string Row(const std::string& table, const std::string& target) {
  size_t at = table.find("\n" + target + " ");
  if (at == std::string::npos) return "";
  return table.substr(at + 1, table.find('\n', at + 1) - at - 1);
}

TEST(RelayScanTest, FindsTheOpenRelayAndRefusesNothingElse) {
  PostfixLab open("0.0.0.0/0");
  PostfixLab closed("127.0.0.1/32");
  open.Start();
  closed.Start();
  // Refuse outright (5xx) instead of the lab's default defer (4xx, inconclusive).
  std::string out;
  ASSERT_EQ(RunCommand({"/usr/sbin/postconf", "-c", closed.config_dir(), "-e",
                        "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"},
                       &out),
            0)
      << out;
  ASSERT_EQ(RunCommand({"/usr/sbin/postfix", "-c", closed.config_dir(), "reload"}, &out), 0);
  const std::string open_target = "127.0.0.1:" + std::to_string(open.port());
  const std::string closed_target = "127.0.0.1:" + std::to_string(closed.port());
  const std::string list = closed.dir() + "/targets";
  WriteFileOrDie(list, "# the closed one\n" + closed_target + "\n");
  std::string table;
  bool settled = ::relayguard::testing::WaitFor(
      [&] {
        int rc = RunCommand({kCtl, "scan", "--from", "127.0.0.9", open_target, "@" + list},
                            &table);
        return rc == 4 && Row(table, closed_target).find(" refused ") != std::string::npos;
      },
      std::chrono::seconds(20));
  ASSERT_TRUE(settled) << table;
  EXPECT_THAT(Row(table, open_target), HasSubstr(" relay-accepted "));
  EXPECT_THAT(table, HasSubstr("scan: 2 targets, 1 open relays"));

  std::string json;
  int rc = RunCommand({kCtl, "scan", "--from", "127.0.0.9", "--json", closed_target}, &json);
  EXPECT_EQ(rc, 0) << json;
  EXPECT_THAT(json, HasSubstr("\"verdict\":\"refused\""));
  EXPECT_THAT(json, HasSubstr("\"name\":\"nmap-12-source-route-ip-literal\""));
  EXPECT_THAT(json, HasSubstr("Relay access denied"));
  EXPECT_EQ(json.find("\"command\":\"DATA\""), std::string::npos) << "DATA is never sent";

  std::string csv;
  rc = RunCommand({kCtl, "scan", "--from", "127.0.0.9", "--csv", open_target}, &csv);
  EXPECT_EQ(rc, 4) << csv;
  EXPECT_THAT(csv, HasSubstr("target,verdict,trick,mail_from,rcpt_to,trick_verdict,rcpt_reply"));
  EXPECT_GE(CountOf(csv, ",relay-accepted,"), 10u) << csv;
}

// A server that accepts RCPT and refuses only at DATA: an open relay by RCPT, closed with --data
// (which sends DATA, never a body).
TEST(RelayScanTest, DataModeCatchesARefusalAtData) {
  PostfixLab lab("0.0.0.0/0");
  std::string out;
  WriteFileOrDie(lab.config_dir() + "/data_clients.cidr", "127.0.0.9 REJECT relaying denied at DATA\n");
  ASSERT_EQ(RunCommand({"/usr/sbin/postconf", "-c", lab.config_dir(), "-e",
                        "smtpd_data_restrictions = check_client_access cidr:" + lab.config_dir() +
                            "/data_clients.cidr"},
                       &out),
            0)
      << out;
  lab.Start();
  const std::string target = "127.0.0.1:" + std::to_string(lab.port());
  std::string csv;
  EXPECT_EQ(RunCommand({kCtl, "scan", "--from", "127.0.0.9", "--csv", target}, &csv), 4) << csv;
  std::string with_data;
  int rc = RunCommand({kCtl, "scan", "--from", "127.0.0.9", "--data", "--json", target}, &with_data);
  EXPECT_EQ(rc, 0) << with_data;
  EXPECT_THAT(with_data, HasSubstr("\"verdict\":\"refused\""));
  EXPECT_THAT(with_data, HasSubstr("DATA refused with 554 5.7.1"));
  EXPECT_THAT(with_data, HasSubstr("relaying denied at DATA"));
}

// By default the scan tries every trick in plaintext and again after STARTTLS: a Postfix that
// relays only inside TLS is found, and the CSV says which tricks ran over TLS.
TEST(RelayScanTest, FindsARelayThatOpensOnlyAfterStartTls) {
  PostfixLab lab("127.0.0.1/32");
  lab.Start();
  ASSERT_EQ(::relayguard::testing::EnablePostfixStartTls(
                lab, {"smtpd_relay_restrictions = reject_plaintext_session, "
                      "check_client_access static:OK, reject_unauth_destination",
                      "plaintext_reject_code = 554"}),
            "");
  const std::string target = "127.0.0.1:" + std::to_string(lab.port());
  std::string csv;
  bool found = ::relayguard::testing::WaitFor(
      [&] {
        return RunCommand({kCtl, "scan", "--from", "127.0.0.9", "--csv", target}, &csv) == 4;
      },
      std::chrono::seconds(20));
  ASSERT_TRUE(found) << csv;
  EXPECT_THAT(csv, HasSubstr(",rcpt_reply,tls,tls_protocol\n"));
  // No trick relays in plaintext; most do after STARTTLS, each on a negotiated session.
  size_t plain = 0, tls = 0, tls_relayed = 0;
  std::istringstream rows(csv.substr(csv.find('\n') + 1));
  for (std::string row; std::getline(rows, row);) {
    const size_t accepted = CountOf(row, ",relay-accepted,");  // the target's verdict is one
    if (row.size() >= 4 && row.substr(row.size() - 4) == ",no,") {
      ++plain;
      EXPECT_EQ(accepted, 1u) << row;
    } else {
      ++tls;
      EXPECT_EQ(row.substr(row.size() - 12), ",yes,TLSv1.3") << row;
      tls_relayed += accepted == 2;
    }
  }
  EXPECT_GE(plain, 10u) << csv;
  EXPECT_EQ(tls, plain) << csv;
  EXPECT_GE(tls_relayed, 10u) << csv;
  std::string table;
  EXPECT_EQ(RunCommand({kCtl, "scan", "--from", "127.0.0.9", target}, &table), 4) << table;
  EXPECT_THAT(Row(table, target), HasSubstr(" relay-accepted "));
  EXPECT_THAT(Row(table, target), HasSubstr("(TLS)"));
  EXPECT_THAT(Row(table, target), HasSubstr("TLSv1.3"));
  // Plaintext only (as nmap's script tests) misses it.
  std::string plain_only;
  EXPECT_EQ(RunCommand({kCtl, "scan", "--from", "127.0.0.9", "--starttls", "off", "--csv", target},
                       &plain_only),
            0)
      << plain_only;
  EXPECT_THAT(plain_only, Not(HasSubstr(",yes,")));
}

// A Postfix submissions-style listener (smtpd_tls_wrappermode = yes, the port-465 shape) that
// relays for anyone: a plaintext scan cannot even see a greeting there; --tls-on-connect finds it.
TEST(RelayScanTest, TlsOnConnectFindsAnOpenImplicitTlsListener) {
  PostfixLab lab("127.0.0.1/32");
  const int smtps = ::relayguard::testing::FreeLoopbackPort();
  std::string master = ::relayguard::testing::ReadFileOrDie(lab.master_cf());
  WriteFileOrDie(lab.master_cf(), master + "127.0.0.1:" + std::to_string(smtps) +
                                      " inet n - n - - smtpd\n  -o smtpd_tls_wrappermode=yes\n"
                                      "  -o mynetworks=0.0.0.0/0\n");
  lab.Start();
  ASSERT_EQ(::relayguard::testing::EnablePostfixStartTls(lab), "");
  const std::string target = "127.0.0.1:" + std::to_string(smtps);
  std::string table;
  bool found = ::relayguard::testing::WaitFor(
      [&] {
        return RunCommand({kCtl, "scan", "--from", "127.0.0.9", "--tls-on-connect",
                           std::to_string(smtps), target},
                          &table) == 4;
      },
      std::chrono::seconds(20));
  ASSERT_TRUE(found) << table;
  EXPECT_THAT(Row(table, target), HasSubstr(" relay-accepted "));
  EXPECT_THAT(Row(table, target), HasSubstr("TLSv1.3"));
  std::string plain;
  EXPECT_EQ(RunCommand({kCtl, "scan", "--from", "127.0.0.9", "--timeout-s", "1", target}, &plain),
            0)
      << plain;
  EXPECT_THAT(Row(plain, target), HasSubstr(" inconclusive "));
  std::string bad;
  EXPECT_EQ(RunCommand({kCtl, "scan", "--tls-on-connect", "465,x", target}, &bad), 1);
  EXPECT_THAT(bad, HasSubstr("--tls-on-connect needs ports 1..65535"));
}

TEST(RelayScanTest, BadTargetsAndFlagsGetClearErrors) {
  std::string out;
  EXPECT_EQ(RunCommand({kCtl, "scan", "mail.example.org:25"}, &out), 2);
  EXPECT_THAT(out, HasSubstr("is not an IP address or network (host names are not resolved)"));
  EXPECT_EQ(RunCommand({kCtl, "scan", "--concurrency", "0", "127.0.0.1:25"}, &out), 1);
  EXPECT_THAT(out, HasSubstr("--concurrency needs 1..1024"));
  EXPECT_EQ(RunCommand({kCtl, "scan", "--from", "::1", "127.0.0.1:25"}, &out), 2);
  EXPECT_THAT(out, HasSubstr("other address family"));
  EXPECT_EQ(RunCommand({kCtl, "scan", "--victim-domain", "a b", "127.0.0.1:25"}, &out), 1);
  EXPECT_THAT(out, HasSubstr("victim_domain"));
  EXPECT_EQ(RunCommand({kCtl, "scan", "--starttls", "sometimes", "127.0.0.1:25"}, &out), 1);
  EXPECT_THAT(out, HasSubstr("--starttls sometimes is not one of off, when-offered, both"));
}

}  // namespace
}  // namespace relayguard
