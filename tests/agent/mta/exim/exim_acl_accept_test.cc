// Port conditions (exim_port_condition.cc), host lists (exim_host_list.cc) and what the RCPT ACL
// rules make of an accept before the relay check with the daemon's listeners known
// (exim_acl_accept.cc through EditEximConf), table-driven, plus a golden file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "agent/mta/exim/exim_conf.h"
#include "agent/mta/exim/exim_host_list.h"
#include "agent/mta/exim/exim_port_condition.h"
#include "agent/mta/exim/exim_rcpt_acl.h"
#include "tests/agent/mta/exim/exim_test_files.h"

namespace relayguard::agent::exim {
namespace {

using testing::Diff;
using testing::ReadData;
using testing::Strings;

struct PortCase {
  std::string condition;
  std::vector<int> open;  // of ports 25, 587, 2626; empty with `parses` false: not a condition
  bool parses = true;
};

TEST(PortConditionTest, HoldsOnThePortsItNames) {
  const std::vector<PortCase> cases = {
      {"${if eq{$received_port}{2626}}", {2626}},
      {"${if eq {$received_port} {2626} }", {2626}},
      {"${if =={$interface_port}{587}}", {587}},
      {"${if ={${received_port}}{587}{yes}{no}}", {587}},
      {"${if eq{2626}{$received_port}}", {2626}},
      {"${if !eq{$received_port}{25}}", {587, 2626}},
      {"${if >={$received_port}{587}}", {587, 2626}},
      {"${if or{{eq{$received_port}{25}}{eq{$interface_port}{2626}}}}", {25, 2626}},
      {"${if and{{>{$received_port}{25}}{!=={$received_port}{587}}}}", {2626}},
      {"${if inlist{$received_port}{587:2626}}", {587, 2626}},
      {"\"${if eq{$received_port}{25}}\"", {25}},
      {"${if eq{$sender_host_address}{1.2.3.4}}", {}, false},
      {"${if eq{$received_port}{2626}{no}}", {}, false},
      {"${if eq{$received_port}{2626}} extra", {}, false},
      {"${lookup{$received_port}lsearch{/f}}", {}, false},
  };
  for (const PortCase& c : cases) {
    std::optional<PortCondition> p = PortCondition::Parse(c.condition);
    ASSERT_EQ(p.has_value(), c.parses) << c.condition;
    if (!p) continue;
    std::vector<int> open;
    for (int port : {25, 587, 2626}) {
      if (p->Matches(port)) open.push_back(port);
    }
    EXPECT_EQ(open, c.open) << c.condition;
  }
}

struct HostCase {
  std::string list;
  Strings strangers, narrow, unproven;  // items
};

TEST(HostListTest, SortsItemsIntoStrangersNarrowAndUnproven) {
  HostListContext c;
  c.policy.trusted_networks = {*ParseCidr("127.0.0.1/32"), *ParseCidr("10.0.0.0/8")};
  const std::map<std::string, std::string> files = {
      {"/etc/exim4/relay_hosts", "# partners\n127.0.0.5\n  0.0.0.0/0  # everyone\n!127.0.0.9\n"},
      {"/etc/exim4/partners.ip",
       "# comment\n192.0.2.0/24: partner\n  continued data\n"
       "\"2001:db8::/32\" v6\n"},
      {"/etc/exim4/open.lsearch", "*: everyone\n"}};
  c.read_file = [&](const std::string& p) -> absl::StatusOr<std::string> {
    auto it = files.find(p);
    if (it == files.end()) return absl::NotFoundError("no such file");
    return it->second;
  };
  c.named_list = [](const std::string& name) -> std::optional<NamedHostList> {
    if (name == "partners") return NamedHostList{"198.51.100.7 : *", "exim.conf:3"};
    return std::nullopt;
  };
  const std::vector<HostCase> cases = {
      {"*", {"*"}, {}, {}},
      {"0.0.0.0/0 : ::::/0", {"0.0.0.0/0", "::/0"}, {}, {}},
      {"127.0.0.0/8", {"127.0.0.0/8"}, {}, {}},  // holds the untrusted probe source
      {"172.16.0.0/12 : 10.0.0.0/8", {"172.16.0.0/12"}, {"10.0.0.0/8"}, {}},  // /12: too wide
      {"192.0.2.0/24 : mx.partner.example : @[]",
       {},
       {"192.0.2.0/24", "mx.partner.example", "@[]"},
       {}},
      {"!127.0.0.9 : 127.0.0.5", {}, {"127.0.0.5"}, {}},
      {"+partners", {"*"}, {"198.51.100.7"}, {}},
      {"+nosuchlist", {}, {}, {"+nosuchlist"}},
      {"/etc/exim4/relay_hosts", {"0.0.0.0/0"}, {"127.0.0.5"}, {}},
      {"/etc/exim4/missing", {}, {}, {"/etc/exim4/missing"}},
      {"net-iplsearch;/etc/exim4/partners.ip",
       {},
       {"net-iplsearch;/etc/exim4/partners.ip: 192.0.2.0/24",
        "net-iplsearch;/etc/exim4/partners.ip: 2001:db8::/32"},
       {}},
      {"lsearch*;/etc/exim4/open.lsearch", {"lsearch*;/etc/exim4/open.lsearch: *"}, {}, {}},
      {"lsearch;/etc/exim4/open.lsearch", {}, {}, {}},  // "*" is a key only with lsearch*
      {"mysql;select 1", {}, {}, {"mysql;select 1"}},
      {"cdb;/etc/exim4/hosts.cdb", {}, {}, {"cdb;/etc/exim4/hosts.cdb"}},
      {"${lookup{x}lsearch{/f}}", {}, {}, {"${lookup{x}lsearch{/f}}"}},
  };
  auto items = [](const std::vector<HostItem>& v) {
    Strings out;
    for (const HostItem& h : v) out.push_back(h.item);
    return out;
  };
  for (const HostCase& h : cases) {
    HostListVerdict v = EvaluateHostList(h.list, "exim.conf:9", c);
    EXPECT_EQ(items(v.strangers), h.strangers) << h.list;
    EXPECT_EQ(items(v.narrow), h.narrow) << h.list;
    EXPECT_EQ(items(v.unproven), h.unproven) << h.list;
  }
  HostListVerdict file = EvaluateHostList("/etc/exim4/relay_hosts", "exim.conf:9", c);
  ASSERT_EQ(file.strangers.size(), 1u);
  EXPECT_EQ(file.strangers[0].where, "/etc/exim4/relay_hosts:3") << "the file entry's line";
  HostListVerdict named = EvaluateHostList("+partners", "exim.conf:9", c);
  EXPECT_EQ(named.strangers[0].where, "exim.conf:3") << "where the named list is defined";
}

// Two listeners, 25 and 2626, and 10025 internal (the policy declares it).
EximEditContext Context(const std::map<std::string, std::string>& files = {}) {
  EximEditContext c;
  std::vector<Listener> listeners;
  for (int port : {25, 2626, 10025}) {
    Listener l;
    l.endpoint = {*ParseIpAddress("127.0.0.1"), static_cast<uint16_t>(port)};
    l.bind = "127.0.0.1";
    l.loopback_only = true;
    l.service = std::to_string(port);
    l.declared_at = "exim.conf:1";
    l.internal = port == 10025;
    listeners.push_back(l);
  }
  c.listeners = listeners;
  c.policy.trusted_networks = {*ParseCidr("127.0.0.1/32")};
  c.policy.partners = {*ParseCidr("127.0.0.5/32")};
  c.read_file = [files](const std::string& p) -> absl::StatusOr<std::string> {
    auto it = files.find(p);
    if (it == files.end()) return absl::NotFoundError("no such file");
    return it->second;
  };
  return c;
}

const std::string kHead =
    "domainlist relay_to_domains =\nhostlist relay_from_hosts = 127.0.0.1/32 : 127.0.0.5/32\n"
    "acl_smtp_rcpt = rcpt\n"
    "begin acl\nrcpt:\n";
const std::string kTail =
    "  accept hosts = +relay_from_hosts\n"
    "  require message = relay not permitted\n"
    "          domains = +local_domains : +relay_to_domains\n"
    "  accept\n";

struct AcceptCase {
  std::string name;
  std::string accept;  // the statement before kTail (lines from 6 on)
  Strings disabled;    // its lines commented out, in order
  Strings opened;      // "LISTENER_PORT@WHERE" of each opening
  Strings kept = {};   // RenderedChange::kept
  bool unproven = false;
};

class AcceptBeforeCheckTest : public ::testing::TestWithParam<AcceptCase> {};

TEST_P(AcceptBeforeCheckTest, NeutralisesWhatOpensAndKeepsWhatIsNarrow) {
  const AcceptCase& c = GetParam();
  const std::string before = kHead + c.accept + kTail;
  const std::map<std::string, std::string> files = {
      {"/etc/exim4/hosts", "# ours\n127.0.0.5\n0.0.0.0/0\n"},
      {"/etc/exim4/partners", "192.0.2.7 partner\n"}};
  EximEditContext context = Context(files);
  EximRelaySettings want{{*ParseCidr("127.0.0.1/32"), *ParseCidr("127.0.0.5/32")}, {}};
  absl::StatusOr<EximEdit> edit = EditEximConf(before, want, "exim.conf", context);
  if (c.unproven) {
    ASSERT_FALSE(edit.ok());
    EXPECT_THAT(std::string(edit.status().message()), ::testing::HasSubstr("cannot tell"));
    context.analyse_only = true;
    edit = EditEximConf(before, want, "exim.conf", context);
    ASSERT_TRUE(edit.ok()) << edit.status();
    EXPECT_EQ(edit->text, before);
  }
  ASSERT_TRUE(edit.ok()) << edit.status();
  Strings added;
  for (const std::string& l : Diff(before, edit->text).added) added.push_back(l);
  Strings want_added;
  for (const std::string& l : c.disabled)
    want_added.push_back(std::string(kDisabledPrefix) + l + "\n");
  EXPECT_EQ(added, want_added);
  Strings opened;
  for (const RelayOpening& o : edit->openings) {
    EXPECT_EQ(o.unproven, c.unproven);
    for (const std::string& l : o.listeners) {
      opened.push_back(l.substr(l.find(':') + 1, l.find(' ') - l.find(':') - 1) + "@" + o.where);
    }
  }
  EXPECT_EQ(opened, c.opened);
  Strings kept;
  for (const std::string& k : edit->kept) kept.push_back(k.substr(0, k.find(": ")));
  EXPECT_EQ(kept, c.kept);
  absl::StatusOr<EximEdit> again = EditEximConf(edit->text, want, "exim.conf", context);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->text, edit->text) << "idempotent";
  EXPECT_TRUE(again->openings.empty() || c.unproven);
}

INSTANTIATE_TEST_SUITE_P(
    Accepts, AcceptBeforeCheckTest,
    ::testing::Values(
        AcceptCase{
            "Unconditional", "  accept\n", {"  accept"}, {"25@exim.conf:6", "2626@exim.conf:6"}},
        AcceptCase{"OnOnePort",
                   "  accept condition = ${if eq{$received_port}{2626}}\n",
                   {"  accept condition = ${if eq{$received_port}{2626}}"},
                   {"2626@exim.conf:6"}},
        AcceptCase{"NegatedPortCondition",
                   "  accept !condition = ${if eq{$received_port}{25}}\n",
                   {"  accept !condition = ${if eq{$received_port}{25}}"},
                   {"2626@exim.conf:6"}},
        AcceptCase{"OnlyOnAnInternalPortIsLeftAlone",
                   "  accept condition = ${if eq{$received_port}{10025}}\n",
                   {},
                   {}},
        AcceptCase{"OnAPortNobodyListensOn",
                   "  accept condition = ${if eq{$received_port}{9999}}\n",
                   {},
                   {}},
        AcceptCase{"EncryptedOnEveryPort",
                   "  accept encrypted = *\n        logwrite = tls\n",
                   {"  accept encrypted = *", "        logwrite = tls"},
                   {"25@exim.conf:6", "2626@exim.conf:6"}},
        AcceptCase{
            "CatchAllNetworkOnOnePort",
            "  accept hosts = 127.0.0.0/8\n"
            "         condition = ${if or{{eq{$received_port}{2626}}{eq{$received_port}{1}}}}\n",
            {"  accept hosts = 127.0.0.0/8",
             "         condition = ${if or{{eq{$received_port}{2626}}{eq{$received_port}{1}}}}"},
            {"2626@exim.conf:6"}},
        AcceptCase{"FileWithACatchAll",
                   "  accept hosts = /etc/exim4/hosts\n",
                   {"  accept hosts = /etc/exim4/hosts"},
                   {"25@/etc/exim4/hosts:3", "2626@/etc/exim4/hosts:3"}},
        AcceptCase{"NarrowPartnerTableIsKept",
                   "  accept hosts = iplsearch;/etc/exim4/partners\n",
                   {},
                   {},
                   {"/etc/exim4/partners:1"}},
        AcceptCase{"NarrowInlineListIsKept",
                   "  accept hosts = 192.0.2.7 : mx.partner.example\n",
                   {},
                   {},
                   {"exim.conf:6", "exim.conf:6"}},
        AcceptCase{"LookupItCannotRead",
                   "  accept hosts = mysql;select ip from partners\n",
                   {},
                   {"25@exim.conf:6", "2626@exim.conf:6"},
                   {},
                   true},
        AcceptCase{"UnreadableFile",
                   "  accept hosts = /etc/exim4/missing\n",
                   {},
                   {"25@exim.conf:6", "2626@exim.conf:6"},
                   {},
                   true}),
    [](const ::testing::TestParamInfo<AcceptCase>& info) { return info.param.name; });

TEST(AcceptBeforeCheckTest, ANarrowEntryThatSharedAnOpenAcceptIsNamedInAWarning) {
  const std::string before = kHead + "  accept hosts = 192.0.2.7 : 0.0.0.0/0\n" + kTail;
  EximEditContext context = Context({});
  EximRelaySettings want{{*ParseCidr("127.0.0.1/32")}, {}};
  absl::StatusOr<EximEdit> edit = EditEximConf(before, want, "exim.conf", context);
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_THAT(edit->text, ::testing::HasSubstr(std::string(kDisabledPrefix) +
                                               "  accept hosts = 192.0.2.7 : 0.0.0.0/0\n"));
  EXPECT_THAT(edit->warnings,
              ::testing::Contains(::testing::HasSubstr(
                  "exim.conf:6: ACL rcpt: 192.0.2.7 no longer relays through this accept (it "
                  "shared it with a catch-all); name it in relay.partners to keep it relaying")));
  EXPECT_TRUE(edit->kept.empty());
}

// A real-world file with several doors, against its golden output.
TEST(EximListenersGoldenTest, PortConditionsEncryptedAndHostFiles) {
  const std::string file = "listeners.conf";
  std::string before = ReadData(file);
  ASSERT_FALSE(before.empty());
  EximEditContext context = Context({{"/etc/exim4/relay_hosts", "127.0.0.5\n*\n"}});
  // What every golden output holds (exim_conf_test.cc's V6Settings).
  EximRelaySettings want{
      {*ParseCidr("127.0.0.1/32"), *ParseCidr("192.0.2.0/24"), *ParseCidr("::1/128")},
      {"relay.example.org"}};
  absl::StatusOr<EximEdit> edit = EditEximConf(before, want, file, context);
  ASSERT_TRUE(edit.ok()) << edit.status();
  const std::string golden = testing::kDataDir + "/golden/" + file;
  if (const char* update = std::getenv("RELAYGUARD_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(golden, std::ios::binary) << edit->text;
  }
  EXPECT_EQ(edit->text, ReadData("golden/" + file));
  // The re-injection accept (127.0.0.1) and the partner's MX.
  EXPECT_EQ(edit->kept.size(), 2u) << ::testing::PrintToString(edit->kept);
  absl::StatusOr<EximEdit> again = EditEximConf(edit->text, want, file, context);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->text, edit->text);
  EXPECT_EQ(again->changed, Strings{});
}

}  // namespace
}  // namespace relayguard::agent::exim
