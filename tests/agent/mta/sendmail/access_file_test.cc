#include "agent/mta/sendmail/access_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/policy/policy.h"
#include "tests/agent/mta/sendmail/sendmail_test_files.h"

namespace relayguard::agent::sendmail {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Strings = std::vector<std::string>;

using testing::kDataDir;
using testing::ReadFile;

Cidr C(const std::string& text) {
  absl::StatusOr<Cidr> cidr = ParseCidr(text);
  EXPECT_TRUE(cidr.ok()) << cidr.status();
  return cidr.ok() ? *cidr : Cidr{};
}

// The access map of a policy trusting `networks` and relaying to `domains`, judged as
// relayguard judges the admin's grants (GrantsStrangers; the untrusted source is 127.0.0.9).
AccessPolicy Policy(const Strings& networks, const Strings& domains) {
  agent::Policy policy;
  for (const std::string& n : networks) policy.trusted_networks.push_back(C(n));
  policy.relay_domains = domains;
  return AccessPolicyFor(policy);
}

// --- EditAccessFile ---

const AccessPolicy& Lan() {
  static const auto* policy =
      new AccessPolicy(Policy({"192.0.2.0/24", "2001:db8::/32"}, {"example.com"}));
  return *policy;
}
const AccessPolicy& LoopbackOnly() {
  static const auto* policy = new AccessPolicy(Policy({"127.0.0.1/32", "::1/128"}, {}));
  return *policy;
}
const AccessPolicy& Net192() {
  static const auto* policy = new AccessPolicy(Policy({"192.0.2.0/24"}, {}));
  return *policy;
}

void ExpectIdempotent(const std::string& text, const AccessPolicy& policy,
                      const std::string& what) {
  absl::StatusOr<AccessEdit> again = EditAccessFile(text, policy, "again");
  ASSERT_TRUE(again.ok()) << what << ": " << again.status();
  EXPECT_EQ(again->text, text) << what;
  EXPECT_THAT(again->changed, IsEmpty()) << what;
}

struct AccessCase {
  std::string name;
  std::string before;
  AccessPolicy policy;
  std::string after;
  Strings changed;
};

class EditAccessFileTest : public ::testing::TestWithParam<AccessCase> {};

TEST_P(EditAccessFileTest, RelayHoldsExactlyForThePolicy) {
  absl::StatusOr<AccessEdit> edit =
      EditAccessFile(GetParam().before, GetParam().policy, "/etc/mail/access");
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_EQ(edit->text, GetParam().after);
  EXPECT_EQ(edit->changed, GetParam().changed);
  ExpectIdempotent(edit->text, GetParam().policy, GetParam().name);
}

const char kKeepAll[] =
    "# comment with Connect:10 RELAY\n"
    "\n"
    "From:spammer@example.net\tREJECT\n"
    "Connect:192.0.2.66 REJECT\n"
    "Connect:198.51.100 OK\n"
    "To:example.net ERROR:\"550 no relaying for you\"\n"
    "To:example.org DISCARD\n"
    "From:friend@example.org RELAY\n"
    "Spam:postmaster@ FRIEND\n"
    "GreetPause:10 0\n"
    "ClientRate:127 0\n"
    "Connect:10.1 SKIP\n"
    "Connect:10.2 QUARANTINE:held\n"
    "reject@ REJECT\n"
    "  Connect:10 RELAY\n"
    "   \n"
    "Connect:10.3\n"
    "Connect:10.4 RELAY # value is not just RELAY\n"
    "SRV_Features:192.0.2 A\n";

INSTANTIATE_TEST_SUITE_P(
    Texts, EditAccessFileTest,
    ::testing::Values(
        AccessCase{"EmptyFileGetsEveryKey",
                   "",
                   Lan(),
                   "Connect:192.0.2\tRELAY\nConnect:IPv6:2001:db8\tRELAY\nTo:example.com\tRELAY\n",
                   {"access Connect:192.0.2 RELAY", "access Connect:IPv6:2001:db8 RELAY",
                    "access To:example.com RELAY"}},
        AccessCase{"AlreadyExact",
                   "Connect:192.0.2 RELAY\nConnect:IPv6:2001:db8\tRELAY\nTo:example.com RELAY\n",
                   Lan(),
                   "Connect:192.0.2 RELAY\nConnect:IPv6:2001:db8\tRELAY\nTo:example.com RELAY\n",
                   {}},
        AccessCase{"KeysAndValuesIgnoreCase",
                   "connect:192.0.2 relay\nCONNECT:IPV6:2001:DB8 Relay\nto:EXAMPLE.COM  RELAY  \n",
                   Lan(),
                   "connect:192.0.2 relay\nCONNECT:IPV6:2001:DB8 Relay\nto:EXAMPLE.COM  RELAY  \n",
                   {}},
        // Issue 11: only the grants that let strangers relay go (0/8 reads as "everyone",
        // ::/0 is everyone); narrower networks are the admin's partners and stay.
        AccessCase{
            "RemovesOnlyNetworksThatGrantStrangers",
            "Connect:10.0.0 RELAY\n10.1 RELAY\nConnect:0 RELAY\n0.0.0.0\tRELAY\n"
            "IPv6:2001:db9 RELAY\nConnect:IPv6:2001:db8:: RELAY\nConnect:IPv6 RELAY\n"
            "Connect:192.0.2 RELAY\n",
            Net192(),
            "Connect:10.0.0 RELAY\n10.1 RELAY\nIPv6:2001:db9 RELAY\n"
            "Connect:IPv6:2001:db8:: RELAY\nConnect:192.0.2 RELAY\n",
            {"-access Connect:0 RELAY", "-access 0.0.0.0 RELAY", "-access Connect:IPv6 RELAY"}},
        AccessCase{
            "RemovesWideAndStrangerNetworks",
            "Connect:10 RELAY\nConnect:127 RELAY\n127.0.0 RELAY\nConnect:127.0.0.5 RELAY\n"
            "IPv6:2001 RELAY\nConnect:[127.0.0] RELAY\n[10.1.2] RELAY\n"
            "Connect:172.16 RELAY\nConnect:192.0.2 RELAY\n",
            Net192(),
            "Connect:127.0.0.5 RELAY\n[10.1.2] RELAY\nConnect:172.16 RELAY\n"
            "Connect:192.0.2 RELAY\n",
            {"-access Connect:10 RELAY", "-access Connect:127 RELAY", "-access 127.0.0 RELAY",
             "-access IPv6:2001 RELAY", "-access Connect:[127.0.0] RELAY"}},
        // Issue 11: an untagged key counts for "Connect:" lookups, so it is the wanted key.
        AccessCase{
            "UntaggedWantedNetworkCounts", "192.0.2 RELAY\n", Net192(), "192.0.2 RELAY\n", {}},
        // Issue 11: recipient grants for other domains go; client names stay; an untagged name
        // (both) keeps only its client grant.
        AccessCase{"RecipientGrantsGoClientGrantsStay",
                   "example.net RELAY\nTo:example.net RELAY\nConnect:host.example.net RELAY\n"
                   "To:user@example.org RELAY\nConnect:[192.0.2.7] RELAY\n.example.com RELAY\n"
                   "To:example.com RELAY\nConnect:com RELAY\nnet RELAY\nConnect: RELAY\n",
                   Policy({"192.0.2.0/24"}, {"example.com"}),
                   "Connect:example.net RELAY\nConnect:host.example.net RELAY\n"
                   "Connect:[192.0.2.7] RELAY\nConnect:.example.com RELAY\n"
                   "To:example.com RELAY\nConnect:192.0.2\tRELAY\n",
                   {"-access example.net RELAY", "access Connect:example.net RELAY",
                    "-access To:example.net RELAY", "-access To:user@example.org RELAY",
                    "-access .example.com RELAY", "access Connect:.example.com RELAY",
                    "-access Connect:com RELAY", "-access net RELAY", "-access Connect: RELAY",
                    "access Connect:192.0.2 RELAY"}},
        AccessCase{"UntaggedNameBesideItsConnectFormIsDeleted",
                   "partner.example RELAY\nConnect:partner.example RELAY\n",
                   Net192(),
                   "Connect:partner.example RELAY\nConnect:192.0.2\tRELAY\n",
                   {"-access partner.example RELAY", "access Connect:192.0.2 RELAY"}},
        AccessCase{"KeepsRelayDomainInOtherForms",
                   "example.com RELAY\nConnect:example.com RELAY\n",
                   Policy({"192.0.2.0/24"}, {"example.com"}),
                   "example.com RELAY\nConnect:example.com RELAY\nConnect:192.0.2\tRELAY\n"
                   "To:example.com\tRELAY\n",
                   {"access Connect:192.0.2 RELAY", "access To:example.com RELAY"}},
        AccessCase{"KeepsLoopbackEntries",
                   "Connect:127.0.0.1 RELAY\nConnect:localhost RELAY\n"
                   "Connect:localhost.localdomain RELAY\nConnect:IPv6:::1 RELAY\n"
                   "IPv6:0:0:0:0:0:0:0:1 RELAY\nConnect:[127.0.0.1] RELAY\n"
                   "Connect:[IPv6:::1] RELAY\nlocalhost RELAY\n127.0.0.1 RELAY\n",
                   Net192(),
                   "Connect:127.0.0.1 RELAY\nConnect:localhost RELAY\n"
                   "Connect:localhost.localdomain RELAY\nConnect:IPv6:::1 RELAY\n"
                   "IPv6:0:0:0:0:0:0:0:1 RELAY\nConnect:[127.0.0.1] RELAY\n"
                   "Connect:[IPv6:::1] RELAY\nlocalhost RELAY\n127.0.0.1 RELAY\n"
                   "Connect:192.0.2\tRELAY\n",
                   {"access Connect:192.0.2 RELAY"}},
        // Issue 11: ::/112 holds no stranger and is narrow, so it stays; the 127 networks hold
        // the untrusted source 127.0.0.9.
        AccessCase{"LoopbackNetworksAreNotLoopback",
                   "Connect:127 RELAY\nConnect:127.0.0 RELAY\nConnect:IPv6:0:0:0:0:0:0:0 RELAY\n",
                   LoopbackOnly(),
                   "Connect:IPv6:0:0:0:0:0:0:0 RELAY\nConnect:127.0.0.1\tRELAY\n"
                   "Connect:IPv6:0:0:0:0:0:0:0:1\tRELAY\n",
                   {"-access Connect:127 RELAY", "-access Connect:127.0.0 RELAY",
                    "access Connect:127.0.0.1 RELAY", "access Connect:IPv6:0:0:0:0:0:0:0:1 RELAY"}},
        AccessCase{"KeepsEveryOtherEntryByteForByte",
                   kKeepAll,
                   Net192(),
                   std::string(kKeepAll) + "Connect:192.0.2\tRELAY\n",
                   {"access Connect:192.0.2 RELAY"}},
        AccessCase{"Crlf",
                   "# access\r\nConnect:10 RELAY\r\nFrom:x@example.org REJECT\r\n",
                   Net192(),
                   "# access\r\nFrom:x@example.org REJECT\r\nConnect:192.0.2\tRELAY\r\n",
                   {"-access Connect:10 RELAY", "access Connect:192.0.2 RELAY"}},
        AccessCase{"AppendKeepsMissingFinalNewline",
                   "From:x@example.org REJECT",
                   Net192(),
                   "From:x@example.org REJECT\nConnect:192.0.2\tRELAY",
                   {"access Connect:192.0.2 RELAY"}},
        AccessCase{"CrlfAppendKeepsMissingFinalNewline",
                   "A REJECT\r\nB REJECT",
                   Net192(),
                   "A REJECT\r\nB REJECT\r\nConnect:192.0.2\tRELAY",
                   {"access Connect:192.0.2 RELAY"}},
        AccessCase{"RemovingTheUnterminatedLastLine",
                   "From:x@example.org REJECT\nConnect:192.0.2 RELAY\nConnect:10 RELAY",
                   Net192(),
                   "From:x@example.org REJECT\nConnect:192.0.2 RELAY",
                   {"-access Connect:10 RELAY"}},
        AccessCase{"OverlappingNetworksAndDuplicateKeys",
                   "",
                   Policy({"10.0.0.0/8", "10.1.0.0/16", "192.0.2.0/24", "192.0.2.7/24"},
                          {"Example.com", "example.com"}),
                   "Connect:10\tRELAY\nConnect:10.1\tRELAY\nConnect:192.0.2\tRELAY\n"
                   "To:Example.com\tRELAY\n",
                   {"access Connect:10 RELAY", "access Connect:10.1 RELAY",
                    "access Connect:192.0.2 RELAY", "access To:Example.com RELAY"}},
        AccessCase{"SplitNetwork",
                   "Connect:10.1.2 RELAY\n",
                   Policy({"10.1.2.0/23"}, {}),
                   "Connect:10.1.2 RELAY\nConnect:10.1.3\tRELAY\n",
                   {"access Connect:10.1.3 RELAY"}},
        AccessCase{"V4MappedNetworkUsesDottedKeys",
                   "Connect:192.0.2 RELAY\n",
                   Policy({"::ffff:192.0.2.0/120"}, {}),
                   "Connect:192.0.2 RELAY\n",
                   {}},
        AccessCase{"NoNetworksNoDomainsRemovesAllRelays",
                   "Connect:10 RELAY\nTo:example.com RELAY\nConnect:127.0.0.1 RELAY\n",
                   Policy({}, {}),
                   "Connect:127.0.0.1 RELAY\n",
                   {"-access Connect:10 RELAY", "-access To:example.com RELAY"}}),
    [](const auto& info) { return info.param.name; });

struct AccessErrorCase {
  std::string name;
  std::string text;
  AccessPolicy policy;
  std::string message;
};

class EditAccessFileErrorTest : public ::testing::TestWithParam<AccessErrorCase> {};

TEST_P(EditAccessFileErrorTest, RefusesWithPathLineAndReason) {
  absl::StatusOr<AccessEdit> edit = EditAccessFile(GetParam().text, GetParam().policy, "a");
  ASSERT_FALSE(edit.ok());
  EXPECT_EQ(edit.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(edit.status().message(), GetParam().message);
  EXPECT_EQ(std::string(edit.status().message()).find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Texts, EditAccessFileErrorTest,
    ::testing::Values(
        AccessErrorCase{"WantedNetworkIsRejected", "Connect:192.0.2 REJECT\n", Net192(),
                        "a:1: Connect:192.0.2 already has the value \"REJECT\"; the policy needs "
                        "Connect:192.0.2 RELAY and makemap refuses a key twice; change or remove "
                        "that line by hand — nothing was changed"},
        AccessErrorCase{"WantedNetworkHasAnError",
                        "# x\nconnect:192.0.2 ERROR:\"550 go away\"\nConnect:10 RELAY\n", Net192(),
                        "a:2: connect:192.0.2 already has the value \"ERROR:\\\"550 go away\\\"\"; "
                        "the policy needs connect:192.0.2 RELAY and makemap refuses a key twice; "
                        "change or remove that line by hand — nothing was changed"},
        AccessErrorCase{"WantedDomainIsOk", "To:example.com OK\n", Policy({}, {"example.com"}),
                        "a:1: To:example.com already has the value \"OK\"; the policy needs "
                        "To:example.com RELAY and makemap refuses a key twice; change or remove "
                        "that line by hand — nothing was changed"},
        AccessErrorCase{
            "TooManyKeys", "", Policy({"192.0.2.0/24", "2001:db8::/33"}, {}),
            "a: network 2001:db8::/33 needs 32768 access keys (more than 256): "
            "Sendmail matches IPv6 networks by whole 16-bit groups; use a prefix length "
            "closer to a multiple of 16 — nothing was changed"},
        AccessErrorCase{"DomainWithSpace", "", Policy({}, {"exa mple.com"}),
                        "a: relay domain \"exa mple.com\" cannot be written as an access key — "
                        "nothing was changed"},
        AccessErrorCase{"DomainWithNewline", "", Policy({}, {"example.com\nConnect:0"}),
                        "a: relay domain \"example.com\\nConnect:0\" cannot be written as an "
                        "access key — nothing was changed"},
        AccessErrorCase{"DomainWithTag", "", Policy({}, {"Connect:example.com"}),
                        "a: relay domain \"Connect:example.com\" cannot be written as an access "
                        "key — nothing was changed"},
        AccessErrorCase{"EmptyDomain", "", Policy({}, {""}),
                        "a: relay domain \"\" cannot be written as an access key — nothing was "
                        "changed"}),
    [](const auto& info) { return info.param.name; });

TEST(EditAccessFileTest, WarnsAboutRelayEntriesItKeepsButDoesNotManage) {
  absl::StatusOr<AccessEdit> edit = EditAccessFile(
      "From:friend@example.org RELAY\nConnect:example.com RELAY\nexample.com RELAY\n",
      Policy({"192.0.2.0/24"}, {"example.com"}), "a");
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_THAT(edit->warnings,
              ElementsAre("a:1: From:friend@example.org RELAY takes effect only with "
                          "FEATURE(`relay_mail_from'), which relayguard removes; kept",
                          "a:2: Connect:example.com RELAY also lets clients named under "
                          "example.com relay to anywhere (the policy only asks for relaying to "
                          "it); kept",
                          "a:3: example.com RELAY also lets clients named under example.com relay "
                          "to anywhere (the policy only asks for relaying to it); kept"));
}

// Issue 11: the admin's narrow grants are reported with PATH:LINE, what goes says why.
TEST(EditAccessFileTest, ReportsKeptGrantsAndWhyTheOthersGo) {
  agent::Policy policy;
  policy.trusted_networks = {C("127.0.0.1/32")};
  policy.partners = {C("127.0.0.5/32")};
  absl::StatusOr<AccessEdit> edit = EditAccessFile(
      "Connect:127 RELAY\nConnect:127.0.0.5 RELAY\n127.0.0 RELAY\nConnect:10.1 RELAY\n"
      "mx.partner.example RELAY\nConnect:10 RELAY\n",
      AccessPolicyFor(policy), "/etc/mail/access");
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_EQ(edit->text,
            "Connect:127.0.0.5 RELAY\nConnect:10.1 RELAY\nConnect:mx.partner.example RELAY\n"
            "Connect:127.0.0.1\tRELAY\n");
  EXPECT_THAT(edit->kept,
              ElementsAre("/etc/mail/access:4: Connect:10.1 RELAY lets clients in 10.1.0.0/16 "
                          "relay",
                          "/etc/mail/access:5: Connect:mx.partner.example RELAY lets clients whose "
                          "reverse DNS name is mx.partner.example or under it relay (was "
                          "mx.partner.example RELAY)"));
  ASSERT_EQ(edit->removed.size(), 4u);
  EXPECT_EQ(edit->removed[0].line, 1u);
  EXPECT_EQ(edit->removed[0].key, "Connect:127");
  EXPECT_EQ(edit->removed[0].grants, "lets clients in 127.0.0.0/8 relay");
  EXPECT_EQ(edit->removed[0].reason, "it contains the untrusted probe source 127.0.0.9");
  EXPECT_EQ(edit->removed[1].key, "127.0.0");
  EXPECT_EQ(edit->removed[2].key, "mx.partner.example");
  EXPECT_EQ(edit->removed[2].replacement, "Connect:mx.partner.example RELAY");
  EXPECT_EQ(edit->removed[3].line, 6u);
  EXPECT_EQ(edit->removed[3].reason, "it is wider than /16 (more than one partner's network)");
  ExpectIdempotent(edit->text, AccessPolicyFor(policy), "report");

  // Under require_auth every client grant goes, narrow or not; 127.0.0.1 stays (Sendmail
  // trusts it anyway).
  policy.require_auth = true;
  edit = EditAccessFile(
      "Connect:127.0.0.1 RELAY\nConnect:127.0.0.5 RELAY\n"
      "Connect:mx.partner.example RELAY\n",
      AccessPolicyFor(policy), "a");
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_EQ(edit->text, "Connect:127.0.0.1 RELAY\n");
  EXPECT_THAT(edit->kept, IsEmpty());
  ASSERT_EQ(edit->removed.size(), 2u);
  EXPECT_EQ(edit->removed[1].reason, "the policy lets only authenticated clients relay");
}

TEST(EditAccessFileTest, WarnsAboutLinesMakemapRefuses) {
  const std::string text = "Connect:10 REJECT\r\n\r\n  Connect:11 RELAY\r\nConnect:12\r\n# ok\r\n";
  absl::StatusOr<AccessEdit> edit = EditAccessFile(text, Net192(), "a");
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_EQ(edit->text, text + "Connect:192.0.2\tRELAY\r\n");
  EXPECT_THAT(edit->warnings,
              ElementsAre("a:2: makemap refuses this line (the line starts with whitespace); kept",
                          "a:3: makemap refuses this line (the line starts with whitespace); kept",
                          "a:4: makemap refuses this line (the key has no value); kept"));
  // An LF file's empty line is fine for makemap.
  edit = EditAccessFile("A REJECT\n\nB REJECT\n", Net192(), "a");
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_THAT(edit->warnings, IsEmpty());
}

TEST(EditAccessFileTest, AppendedLinesHoldOneKeyAndValueEach) {
  absl::StatusOr<AccessEdit> edit = EditAccessFile(
      "", Policy({"10.1.2.0/23", "2001:db8::/47", "::1/128"}, {"example.com", "a.example.org"}),
      "a");
  ASSERT_TRUE(edit.ok()) << edit.status();
  std::istringstream lines(edit->text);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    ASSERT_EQ(line.find_first_of(" \r\f\v"), std::string::npos) << line;
    EXPECT_EQ(line.find('\t'), line.rfind('\t')) << line;
    EXPECT_TRUE(line.size() > 6 && line.substr(line.size() - 6) == "\tRELAY") << line;
  }
  EXPECT_EQ(count, 7);
}

TEST(AccessRelayKeysTest, ListsRelayKeysInFileOrder) {
  EXPECT_THAT(AccessRelayKeys(kKeepAll), ElementsAre("From:friend@example.org"));
  EXPECT_THAT(AccessRelayKeys("Connect:10 relay\n# x RELAY\nTo:example.com RELAY\r\nA REJECT"),
              ElementsAre("Connect:10", "To:example.com"));
  EXPECT_THAT(AccessRelayKeys(""), IsEmpty());
}

// --- Debian's shipped access file and relayguard's own fixtures. ---

std::string MtaRoot() {
  const char* env = std::getenv("RELAYGUARD_MTA_ROOT");
  std::string root = env != nullptr && *env != '\0' ? env : "/var/cache/relayguard/mta-root";
  if (!std::filesystem::is_regular_file(root + "/usr/share/sendmail/examples/db/access")) {
    ADD_FAILURE() << "no Sendmail example access file under " << root
                  << "/usr/share/sendmail/examples/db; run `bash deploy/lab/mta-root.sh " << root
                  << "` (or set RELAYGUARD_MTA_ROOT)";
    return "";
  }
  return root;
}

// The file Debian's update_db copies to /etc/mail/access on installation.
TEST(AccessDebianTest, DebianDefaultLosesOnlyTheLoopbackNetwork) {
  const std::string root = MtaRoot();
  if (root.empty()) return;
  const std::string path = root + "/usr/share/sendmail/examples/db/access";
  const std::string text = ReadFile(path);
  const std::string relay127 = "Connect:127\t\t\t\tRELAY\n";
  const size_t at = text.find(relay127);
  ASSERT_NE(at, std::string::npos) << "Debian's access file changed";
  ASSERT_NE(text.find("\nConnect:IPv6:::1\t\tRELAY\n"), std::string::npos);

  // The default policy: Connect:127 (all of 127/8, so also the untrusted probe source
  // 127.0.0.9) goes, Connect:IPv6:::1 is ::1 and stays.
  absl::StatusOr<AccessEdit> edit = EditAccessFile(text, LoopbackOnly(), path);
  ASSERT_TRUE(edit.ok()) << edit.status();
  std::string expected = text;
  expected.erase(at, relay127.size());
  expected += "Connect:127.0.0.1\tRELAY\nConnect:IPv6:0:0:0:0:0:0:0:1\tRELAY\n";
  EXPECT_EQ(edit->text, expected);
  EXPECT_EQ(edit->changed, (Strings{"-access Connect:127 RELAY", "access Connect:127.0.0.1 RELAY",
                                    "access Connect:IPv6:0:0:0:0:0:0:0:1 RELAY"}));
  EXPECT_THAT(edit->warnings, IsEmpty());
  ExpectIdempotent(edit->text, LoopbackOnly(), path);

  // Debian rejects the documentation network 192.0.2.0/24; a policy trusting it conflicts.
  absl::StatusOr<AccessEdit> conflict = EditAccessFile(text, Lan(), path);
  ASSERT_FALSE(conflict.ok());
  EXPECT_THAT(conflict.status().message(),
              HasSubstr(": Connect:192.0.2 already has the value \"REJECT\"; the policy needs "
                        "Connect:192.0.2 RELAY"));
  EXPECT_THAT(conflict.status().message(), HasSubstr(path + ":"));

  const AccessPolicy lan = Policy({"198.51.100.0/24", "2001:db8::/32"}, {"example.com"});
  absl::StatusOr<AccessEdit> edited = EditAccessFile(text, lan, path);
  ASSERT_TRUE(edited.ok()) << edited.status();
  expected = text;
  expected.erase(at, relay127.size());
  expected += "Connect:198.51.100\tRELAY\nConnect:IPv6:2001:db8\tRELAY\nTo:example.com\tRELAY\n";
  EXPECT_EQ(edited->text, expected);
  ExpectIdempotent(edited->text, lan, path);
}

TEST(AccessDebianTest, RelayDomainsExampleHasNoEntries) {
  const std::string root = MtaRoot();
  if (root.empty()) return;
  // /etc/mail/relay-domains (class {R}) ships with comments only.
  EXPECT_THAT(AccessRelayKeys(ReadFile(root + "/usr/share/sendmail/examples/db/relay-domains")),
              IsEmpty());
}

struct AccessGoldenCase {
  std::string input;
  std::string expected;
  AccessPolicy policy;
  Strings changed;
  size_t warnings = 0;
};

class AccessGoldenTest : public ::testing::TestWithParam<AccessGoldenCase> {};

TEST_P(AccessGoldenTest, EditsToTheGoldenFile) {
  const std::string input = ReadFile(kDataDir + "/" + GetParam().input);
  ASSERT_FALSE(input.empty());
  absl::StatusOr<AccessEdit> edit = EditAccessFile(input, GetParam().policy, GetParam().input);
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_EQ(edit->text, ReadFile(kDataDir + "/" + GetParam().expected));
  EXPECT_EQ(edit->changed, GetParam().changed);
  EXPECT_EQ(edit->warnings.size(), GetParam().warnings) << ::testing::PrintToString(edit->warnings);
  ExpectIdempotent(edit->text, GetParam().policy, GetParam().input);
}

INSTANTIATE_TEST_SUITE_P(
    Files, AccessGoldenTest,
    ::testing::Values(
        AccessGoldenCase{
            "open-relay.access",
            "open-relay.access.golden",
            Policy({"127.0.0.1/32", "::1/128", "192.0.2.0/24", "2001:db8::/32"},
                   {"example.com", "example.org"}),
            // Issue 11: the partner network 10.20, the partner's host name and the address
            // inside the LAN stay.
            {"-access Connect:0 RELAY", "-access 0.0.0.0 RELAY", "-access Connect:IPv6:0 RELAY",
             "-access partner.example.net RELAY", "-access To:partner.example.net RELAY",
             "-access Connect:127 RELAY", "access Connect:IPv6:0:0:0:0:0:0:0:1 RELAY",
             "access To:example.org RELAY"},
            1},
        AccessGoldenCase{"crlf.access",
                         "crlf.access.golden",
                         Policy({"192.0.2.0/24", "198.51.100.0/24"}, {}),
                         {"-access Connect:10 RELAY", "access Connect:198.51.100 RELAY"},
                         0}),
    [](const auto& info) {
      std::string name = info.param.input;
      name.erase(std::remove_if(name.begin(), name.end(), [](char c) { return !std::isalnum(c); }),
                 name.end());
      return name;
    });

}  // namespace
}  // namespace relayguard::agent::sendmail
