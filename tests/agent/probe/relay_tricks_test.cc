// The relay trick list: nmap's 16 combinations with their exact address forms, the Nessus 11852
// senders, stable unique names, dedup, and addresses safe to put on an SMTP command line.
#include "agent/probe/relay_tricks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace relayguard::agent {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

RelayTrickDomains Lab() {
  RelayTrickDomains d;
  d.target_host = "mx.lab.test";
  d.target_ip = "127.0.0.1";
  return d;
}

struct Expected {
  const char* name;
  const char* mail_from;
  const char* rcpt_to;
};

// Every trick for Lab(), in order, spelled out by hand.
const Expected kLabTricks[] = {
    {"nmap-01-null-sender", "", "relay-test@example.net"},
    {"nmap-02-plain-third-party", "relaytest@example.org", "relay-test@example.net"},
    {"nmap-03-spoofed-local-sender-host", "relaytest@mx.lab.test", "relay-test@example.net"},
    {"nmap-04-spoofed-local-sender-ip-literal", "relaytest@[127.0.0.1]", "relay-test@example.net"},
    {"nmap-05-percent-hack-ip-literal", "relaytest@[127.0.0.1]",
     "relay-test%example.net@[127.0.0.1]"},
    {"nmap-06-percent-hack-host", "relaytest@[127.0.0.1]", "relay-test%example.net@mx.lab.test"},
    {"nmap-07-quoted-address", "relaytest@[127.0.0.1]", "\"relay-test@example.net\""},
    {"nmap-08-quoted-percent-hack", "relaytest@[127.0.0.1]", "\"relay-test%example.net\""},
    {"nmap-09-double-at-ip-literal", "relaytest@[127.0.0.1]", "relay-test@example.net@[127.0.0.1]"},
    {"nmap-10-quoted-local-part-ip-literal", "relaytest@[127.0.0.1]",
     "\"relay-test@example.net\"@[127.0.0.1]"},
    {"nmap-11-double-at-host", "relaytest@[127.0.0.1]", "relay-test@example.net@mx.lab.test"},
    {"nmap-12-source-route-ip-literal", "relaytest@[127.0.0.1]",
     "@[127.0.0.1]:relay-test@example.net"},
    {"nmap-13-source-route-host", "relaytest@[127.0.0.1]", "@mx.lab.test:relay-test@example.net"},
    {"nmap-14-bang-path", "relaytest@[127.0.0.1]", "example.net!relay-test"},
    {"nmap-15-bang-path-ip-literal", "relaytest@[127.0.0.1]", "example.net!relay-test@[127.0.0.1]"},
    {"nmap-16-bang-path-host", "relaytest@[127.0.0.1]", "example.net!relay-test@mx.lab.test"},
    {"nessus-random-subdomain-sender", "relaytest@relayguard-nx.example.org",
     "relay-test@example.net"},
    {"nessus-localhost-sender", "relaytest@localhost", "relay-test@example.net"},
    {"nessus-unqualified-sender", "relaytest", "relay-test@example.net"},
    {"nessus-postmaster-sender", "postmaster@mx.lab.test", "relay-test@example.net"},
};

const RelayTest* Find(const std::vector<RelayTest>& tricks, const std::string& name) {
  for (const RelayTest& t : tricks) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::vector<std::string> Names(const std::vector<RelayTest>& tricks) {
  std::vector<std::string> names;
  for (const RelayTest& t : tricks) names.push_back(t.name);
  return names;
}

TEST(RelayTricksTest, TwentyTricksWithStableUniqueNames) {
  std::vector<RelayTest> tricks = AllRelayTricks(Lab());
  ASSERT_EQ(tricks.size(), std::size(kLabTricks));
  std::vector<std::string> expected;
  for (const Expected& e : kLabTricks) expected.push_back(e.name);
  EXPECT_THAT(Names(tricks), ElementsAreArray(expected));
  std::set<std::string> unique(expected.begin(), expected.end());
  EXPECT_EQ(unique.size(), tricks.size());
  // Names do not depend on the target.
  RelayTrickDomains other = Lab();
  other.target_host = "smtp.corp.test";
  other.target_ip = "10.1.2.3";
  EXPECT_EQ(Names(AllRelayTricks(other)), expected);
}

TEST(RelayTricksTest, EveryTrickHasItsExactAddressForms) {
  std::vector<RelayTest> tricks = AllRelayTricks(Lab());
  for (const Expected& e : kLabTricks) {
    SCOPED_TRACE(e.name);
    const RelayTest* t = Find(tricks, e.name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->mail_from, e.mail_from);
    EXPECT_EQ(t->rcpt_to, e.rcpt_to);
  }
}

TEST(RelayTricksTest, AllSixteenNmapCombinationsArePresent) {
  std::vector<RelayTest> tricks = AllRelayTricks(Lab());
  int nmap = 0;
  for (const RelayTest& t : tricks) nmap += t.name.rfind("nmap-", 0) == 0;
  EXPECT_EQ(nmap, 16);
}

TEST(RelayTricksTest, NessusExtraSendersGoToThePlainVictim) {
  std::vector<RelayTest> tricks = AllRelayTricks(Lab());
  const std::pair<const char*, const char*> senders[] = {
      {"nessus-unqualified-sender", "relaytest"},
      {"nessus-localhost-sender", "relaytest@localhost"},
      {"nessus-postmaster-sender", "postmaster@mx.lab.test"},
      {"nessus-random-subdomain-sender", "relaytest@relayguard-nx.example.org"},
  };
  for (const auto& [name, from] : senders) {
    SCOPED_TRACE(name);
    const RelayTest* t = Find(tricks, name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->mail_from, from);
    EXPECT_EQ(t->rcpt_to, "relay-test@example.net");
  }
}

TEST(RelayTricksTest, IncludesTheBasicRelayTests) {
  std::vector<RelayTest> tricks = AllRelayTricks(Lab());
  for (const RelayTest& basic :
       BasicRelayTests("relaytest@example.org", "relay-test@example.net")) {
    SCOPED_TRACE(basic.name);
    bool found = false;
    for (const RelayTest& t : tricks) {
      found |= t.mail_from == basic.mail_from && t.rcpt_to == basic.rcpt_to;
    }
    EXPECT_TRUE(found);
  }
}

TEST(RelayTricksTest, PairsAreUnique) {
  std::vector<RelayTest> tricks = AllRelayTricks(Lab());
  std::set<std::pair<std::string, std::string>> pairs;
  for (const RelayTest& t : tricks) pairs.insert({t.mail_from, t.rcpt_to});
  EXPECT_EQ(pairs.size(), tricks.size());
}

TEST(RelayTricksTest, DropsIdenticalPairsKeepingTheFirstName) {
  // With the foreign sender domain "localhost", the Nessus localhost sender is the plain third
  // party sender again; with the target host "localhost" the spoofed local sender is too.
  RelayTrickDomains d = Lab();
  d.sender_domain = "localhost";
  std::vector<RelayTest> tricks = AllRelayTricks(d);
  EXPECT_EQ(tricks.size(), std::size(kLabTricks) - 1);
  EXPECT_NE(Find(tricks, "nmap-02-plain-third-party"), nullptr);
  EXPECT_EQ(Find(tricks, "nessus-localhost-sender"), nullptr);

  d.target_host = "localhost";
  tricks = AllRelayTricks(d);
  EXPECT_EQ(tricks.size(), std::size(kLabTricks) - 2);
  EXPECT_EQ(Find(tricks, "nmap-03-spoofed-local-sender-host"), nullptr);
}

// True when `address` has no CR/LF anywhere and no blank outside a quoted local part.
bool SafeOnCommandLine(const std::string& address) {
  bool quoted = false;
  for (char c : address) {
    if (c == '\r' || c == '\n') return false;
    if (c == '"') quoted = !quoted;
    if ((c == ' ' || c == '\t') && !quoted) return false;
  }
  return !quoted;
}

TEST(RelayTricksTest, AddressesHaveNoLineBreaksOrBareBlanks) {
  EXPECT_FALSE(SafeOnCommandLine("a\r\nRCPT TO:<x@y>"));
  EXPECT_FALSE(SafeOnCommandLine("a b@c"));
  EXPECT_TRUE(SafeOnCommandLine("\"a b\"@c"));
  for (const RelayTest& t : AllRelayTricks(Lab())) {
    SCOPED_TRACE(t.name);
    EXPECT_TRUE(SafeOnCommandLine(t.mail_from)) << t.mail_from;
    EXPECT_TRUE(SafeOnCommandLine(t.rcpt_to)) << t.rcpt_to;
    EXPECT_EQ(t.mail_from.find_first_of("<>"), std::string::npos);
    EXPECT_EQ(t.rcpt_to.find_first_of("<>"), std::string::npos);
  }
}

TEST(RelayTricksTest, Ipv6TargetUsesTheIpv6AddressLiteral) {
  RelayTrickDomains d = Lab();
  d.target_ip = "::1";
  std::vector<RelayTest> tricks = AllRelayTricks(d);
  EXPECT_EQ(Find(tricks, "nmap-04-spoofed-local-sender-ip-literal")->mail_from,
            "relaytest@[IPv6:::1]");
  EXPECT_EQ(Find(tricks, "nmap-12-source-route-ip-literal")->rcpt_to,
            "@[IPv6:::1]:relay-test@example.net");
}

TEST(RelayTricksTest, ValidateRejectsFieldsThatWouldBreakTheAddresses) {
  EXPECT_TRUE(ValidateRelayTrickDomains(Lab()).ok());
  struct Case {
    std::string RelayTrickDomains::*field;
    std::string value;
    std::string mentions;
  };
  const Case cases[] = {
      {&RelayTrickDomains::target_host, "", "target_host is empty"},
      {&RelayTrickDomains::target_ip, "", "target_ip is empty"},
      {&RelayTrickDomains::target_host, "mx.lab.test\r\nDATA", "target_host"},
      {&RelayTrickDomains::victim_domain, "example.net\n", "victim_domain"},
      {&RelayTrickDomains::local_user, "relay test", "local_user"},
      {&RelayTrickDomains::victim_user, "a>b", "victim_user"},
      {&RelayTrickDomains::sender_domain, "x@y", "sender_domain"},
      {&RelayTrickDomains::local_user, "\"q\"", "local_user"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.mentions);
    RelayTrickDomains d = Lab();
    d.*c.field = c.value;
    absl::Status s = ValidateRelayTrickDomains(d);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.mentions));
  }
}

}  // namespace
}  // namespace relayguard::agent
