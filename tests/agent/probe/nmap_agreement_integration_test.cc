// relayguardctl scan against nmap's smtp-open-relay script on the same real Postfix, Exim and
// Sendmail instances, open and closed, from the untrusted source 127.0.0.9 (and, for a closed
// instance, from the trusted 127.0.0.1). Runs inside tests/support/mta_sandbox.sh.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "tests/support/mta_lab.h"
#include "tests/support/postfix_lab.h"

namespace relayguard {
namespace {

using ::relayguard::testing::EximLab;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::SendmailLab;

const std::string kCtl = std::string(RG_BINARY_DIR) + "/controller/relayguardctl";

// Our verdict for 127.0.0.1:`port` from `source`: "relay-accepted", "refused", "inconclusive".
std::string Ours(int port, const std::string& source) {
  std::string csv;
  RunCommand({kCtl, "scan", "--from", source, "--csv", "127.0.0.1:" + std::to_string(port)}, &csv,
             {}, nullptr, /*keep_stderr=*/false);
  size_t row = csv.find('\n');
  if (row == std::string::npos) return "no output: " + csv;
  size_t a = csv.find(',', row);
  size_t b = csv.find(',', a + 1);
  return csv.substr(a + 1, b - a - 1);
}

// nmap's verdict, same words, and what it said.
std::string Nmap(int port, const std::string& source, std::string* said) {
  std::string out;
  RunCommand({"/usr/bin/nmap", "-n", "-Pn", "-sT", "-S", source, "-e", "lo", "-p",
              std::to_string(port), "--script", "+smtp-open-relay", "127.0.0.1"},
             &out, {}, nullptr, /*keep_stderr=*/false);
  size_t at = out.find("smtp-open-relay:");
  *said = at == std::string::npos ? out : out.substr(at, out.find('\n', at) - at);
  if (said->find("is an open relay") != std::string::npos) return "relay-accepted";
  if (said->find("doesn't seem to be an open relay") != std::string::npos) return "refused";
  return "inconclusive";
}

struct Instance {
  std::string name;
  int port;
  std::string want_untrusted;  // the truth, from how the lab was configured
};

void ExpectAgreement(const Instance& i) {
  std::string said;
  const std::string ours = Ours(i.port, "127.0.0.9");
  const std::string theirs = Nmap(i.port, "127.0.0.9", &said);
  EXPECT_EQ(ours, i.want_untrusted) << i.name;
  // Where nmap disagrees, it is wrong, and why is written here: none expected on these labs.
  EXPECT_EQ(theirs, ours) << i.name << ": nmap " << said;
}

TEST(NmapAgreementTest, PostfixOpenAndClosed) {
  PostfixLab open("0.0.0.0/0");
  PostfixLab closed("127.0.0.1/32");
  std::string out;
  RunCommand({"/usr/sbin/postconf", "-c", closed.config_dir(), "-e",
              "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"},
             &out);
  open.Start();
  closed.Start();
  ExpectAgreement({"postfix open", open.port(), "relay-accepted"});
  ExpectAgreement({"postfix closed", closed.port(), "refused"});
  EXPECT_EQ(Ours(closed.port(), "127.0.0.1"), "relay-accepted") << "trusted 127.0.0.1";
}

TEST(NmapAgreementTest, EximOpenAndClosed) {
  EximLab open("0.0.0.0/0");
  EximLab closed("127.0.0.1/32");
  open.Start();
  closed.Start();
  ExpectAgreement({"exim open", open.port(), "relay-accepted"});
  ExpectAgreement({"exim closed", closed.port(), "refused"});
  EXPECT_EQ(Ours(closed.port(), "127.0.0.1"), "relay-accepted") << "trusted 127.0.0.1";
}

TEST(NmapAgreementTest, SendmailOpenAndClosed) {
  SendmailLab open(/*open=*/true);
  SendmailLab closed(/*open=*/false);
  open.Start();
  closed.Start();
  ExpectAgreement({"sendmail open", open.port(), "relay-accepted"});
  ExpectAgreement({"sendmail closed", closed.port(), "refused"});
  EXPECT_EQ(Ours(closed.port(), "127.0.0.1"), "relay-accepted") << "Sendmail trusts 127.0.0.1";
}

}  // namespace
}  // namespace relayguard
