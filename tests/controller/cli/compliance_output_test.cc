// What `relayguardctl compliance` prints (controller/cli/compliance_output.cc), from responses
// built here.
#include "controller/cli/compliance_output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/compliance_states_proto.h"

namespace relayguard::controller {
namespace {

namespace pb = ::relayguard::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr int64_t kNow = 1767323045;      // 2026-01-02T03:04:05Z
constexpr int64_t kChecked = kNow - 35;  // 2026-01-02T03:03:30Z

// The wire values of the states named as the columns print them.
pb::FleetHostStatus HostStatus(const std::string& name) {
  return FleetHostStatusToProto(*ParseFleetHostStatus(name));
}
pb::ComplianceStatus Status(const std::string& name) {
  return ComplianceStatusToProto(*ParseComplianceStatus(name));
}

pb::HostCompliance* AddHost(pb::ComplianceResponse& r, const std::string& host,
                            const std::string& status, bool with_check = true) {
  pb::HostCompliance* h = r.add_hosts();
  h->set_host(host);
  h->set_status(HostStatus(status));
  h->set_online(status != "unreachable");
  h->set_last_seen(kNow - 5);
  if (with_check) {
    h->mutable_last()->set_host(host);
    h->mutable_last()->set_received_at(kNow - 30);
    pb::ComplianceReport* c = h->mutable_last()->mutable_report();
    c->set_seq(7);
    c->set_policy_name("no-open-relay");
    c->set_policy_version(2);
    c->set_mode(pb::COMPLIANCE_MODE_ENFORCE);
    c->set_status(Status(status == "unreachable" ? "compliant" : status));
    c->set_checked_at(kChecked);
    c->set_summary(status == "compliant" ? "all settings as desired" : "1 setting drifted");
  }
  return h;
}

// mx1 compliant, mx2 relay-open with drift, a changed file and a failed enforcement, mx3
// unreachable (last check compliant), mx4 never checked.
pb::ComplianceResponse Sample() {
  pb::ComplianceResponse r;
  AddHost(r, "mx1", "compliant");
  pb::ComplianceReport* c = AddHost(r, "mx2", "relay-open")->mutable_last()->mutable_report();
  pb::SettingDrift* s = c->add_settings();
  s->set_setting("mynetworks");
  s->set_effective("0.0.0.0/0");
  s->set_desired("127.0.0.1/32");
  pb::ChangedFile* f = c->add_changed_files();
  f->set_path("/etc/postfix/main.cf");
  f->set_modified_at(kNow - 3600);  // 2026-01-02T02:04:05Z
  f->set_diff("--- a/main.cf\n+++ b/main.cf\n-mynetworks = 127.0.0.1/32\n+mynetworks = 0.0.0.0/0\n");
  c->mutable_probe()->set_source_address("127.0.0.9");
  c->mutable_probe()->set_verdict(pb::PROBE_VERDICT_RELAY_ACCEPTED);
  c->set_enforcement(pb::ENFORCEMENT_ROLLED_BACK);
  c->mutable_enforce_result()->set_outcome(pb::ApplyResult::OUTCOME_ROLLED_BACK);
  c->mutable_enforce_result()->set_backup_commit("1111111");
  c->mutable_enforce_result()->set_result_commit("2222222");
  c->mutable_enforce_result()->set_phase("verify");
  c->mutable_enforce_result()->set_error("probe still relays");
  c->set_summary("relays, \"open\"");
  AddHost(r, "mx3", "unreachable");
  AddHost(r, "mx4", "never-checked", /*with_check=*/false);
  r.set_compliant(1);
  r.set_total(4);
  r.add_holds("no-open-relay v2: 2 hosts failed to enforce no-open-relay v2 (budget 1): mx2, mx5");
  return r;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

TEST(ComplianceOutputTest, TimesAreUtcIsoAndAgoInUnits) {
  EXPECT_EQ(IsoUtc(kNow), "2026-01-02T03:04:05Z");
  EXPECT_EQ(IsoUtc(0), "-");
  EXPECT_EQ(Ago(kNow - 35, kNow), "35s ago");
  EXPECT_EQ(Ago(kNow - 119, kNow), "119s ago");
  EXPECT_EQ(Ago(kNow - 600, kNow), "10m ago");
  EXPECT_EQ(Ago(kNow - 3 * 3600, kNow), "3h ago");
  EXPECT_EQ(Ago(kNow - 3 * 86400, kNow), "3d ago");
  EXPECT_EQ(Ago(kNow + 5, kNow), "in 5s");
}

TEST(ComplianceOutputTest, TableHasARowPerHostTheFleetLineAndTheHolds) {
  std::vector<std::string> lines = Lines(ComplianceTable(Sample(), kNow));
  ASSERT_EQ(lines.size(), 8u);
  EXPECT_THAT(lines[0], StartsWith("HOST "));
  for (const char* column : {"STATUS", "POLICY", "MODE", "LAST-CHECKED", "ENFORCEMENT",
                             "REFUSED-24H", "SUMMARY"}) {
    EXPECT_THAT(lines[0], HasSubstr(column));
  }
  EXPECT_THAT(lines[1], StartsWith("mx1 "));
  EXPECT_THAT(lines[1], HasSubstr(" compliant "));
  EXPECT_THAT(lines[1], HasSubstr("no-open-relay v2"));
  EXPECT_THAT(lines[1], HasSubstr("2026-01-02T03:03:30Z (35s ago)"));
  EXPECT_THAT(lines[2], HasSubstr(" relay-open "));
  EXPECT_THAT(lines[2], HasSubstr(" rolled-back "));
  EXPECT_THAT(lines[3], HasSubstr(" unreachable "));
  EXPECT_THAT(lines[3], HasSubstr("2026-01-02T03:03:30Z"));  // its last check still shown
  EXPECT_THAT(lines[4], StartsWith("mx4 "));
  EXPECT_THAT(lines[4], HasSubstr(" never-checked "));
  EXPECT_EQ(lines[5], "fleet: 1/4 hosts compliant (25.0%)");
  EXPECT_THAT(lines[6], HasSubstr("enforcement held"));
  EXPECT_THAT(lines[7], HasSubstr("no-open-relay v2: 2 hosts failed"));
}

TEST(ComplianceOutputTest, ARelayTheMonitorSawIsShownWithItsEvidence) {
  pb::ComplianceResponse r = Sample();
  pb::HostCompliance* mx2 = r.mutable_hosts(1);
  mx2->set_refused_24h(321);
  pb::RelaySeen* seen = mx2->mutable_last()->mutable_report()->mutable_relay_seen();
  seen->set_client_address("127.0.0.9");
  seen->set_sender("");
  seen->add_recipients("a@foreign.example");
  seen->add_recipients("b@foreign.example");
  seen->set_queue_id("4QxY");
  seen->set_seen_at(1767323010);
  seen->add_lines("first line");
  seen->add_lines("second line");
  const std::string evidence =
      "relay seen on mx2 at 2026-01-02T03:03:30Z: client 127.0.0.9, sender <>, to "
      "<a@foreign.example>, <b@foreign.example>, queue id 4QxY\n  | first line\n";
  EXPECT_EQ(RelaySeenText("mx2", *seen), evidence);
  std::vector<std::string> lines = Lines(ComplianceTable(r, kNow));
  EXPECT_THAT(lines[2], HasSubstr(" 321 "));
  EXPECT_EQ(lines[5], "relay seen on mx2 at 2026-01-02T03:03:30Z: client 127.0.0.9, sender <>, "
                      "to <a@foreign.example>, <b@foreign.example>, queue id 4QxY");
  EXPECT_EQ(lines[6], "  | first line");
  EXPECT_EQ(lines[7], "fleet: 1/4 hosts compliant (25.0%)");
  const std::string diff = ComplianceDiff(r);
  EXPECT_THAT(diff, HasSubstr("   " + evidence + "  | second line\n"));
}

TEST(ComplianceOutputTest, FleetLineOfAnEmptyFleetHasNoPercentage) {
  pb::ComplianceResponse empty;
  EXPECT_THAT(Lines(ComplianceTable(empty, kNow)), ElementsAre(StartsWith("HOST"),
                                                              "fleet: 0/0 hosts compliant"));
}

TEST(ComplianceOutputTest, DiffShowsSettingsFilesAndCommitsOfDriftedHostsOnly) {
  std::string diff = ComplianceDiff(Sample());
  EXPECT_THAT(diff, HasSubstr("== mx2  relay-open  no-open-relay v2  checked 2026-01-02T03:03:30Z"));
  EXPECT_THAT(diff, HasSubstr("   setting mynetworks: 0.0.0.0/0 -> 127.0.0.1/32\n"));
  EXPECT_THAT(diff, HasSubstr("   file /etc/postfix/main.cf (modified 2026-01-02T02:04:05Z)\n"));
  EXPECT_THAT(diff, HasSubstr("   | +mynetworks = 0.0.0.0/0\n"));
  EXPECT_THAT(diff, HasSubstr("   probe from 127.0.0.9: relay-accepted"));
  EXPECT_THAT(diff, HasSubstr("   enforcement rolled-back: backup 1111111 -> result 2222222 "
                              "(verify: probe still relays)"));
  EXPECT_THAT(diff, Not(HasSubstr("mx1")));
  EXPECT_THAT(diff, Not(HasSubstr("mx3")));
  EXPECT_THAT(diff, Not(HasSubstr("mx4")));
}

TEST(ComplianceOutputTest, JsonIsTheControllersReplyWithProtoFieldNames) {
  pb::ComplianceResponse r = Sample();
  *r.add_history() = r.hosts(1).last();
  std::string json = ComplianceJson(r);
  for (
      const char* part : {
          R"("compliant":1,"total":4,)",
          R"("holds":["no-open-relay v2: 2 hosts failed)",
          R"({"host":"mx4","status":"FLEET_HOST_STATUS_NEVER_CHECKED","online":true,"last_seen":"1767323040","refused_24h":"0"})",
          R"("last":{"host":"mx2","report":{"seq":"7",)",
          R"("setting":"mynetworks","effective":"0.0.0.0/0","desired":"127.0.0.1/32")",
          R"("path":"/etc/postfix/main.cf","diff":"--- a/main.cf\n)",
          R"("modified_at":"1767319445")",
          R"("probe":{"source_address":"127.0.0.9","verdict":"PROBE_VERDICT_RELAY_ACCEPTED")",
          R"("enforcement":"ENFORCEMENT_ROLLED_BACK")",
          R"("backup_commit":"1111111","result_commit":"2222222")",
          R"("summary":"relays, \"open\"")",
          R"("history":[{"host":"mx2","report":{"seq":"7",)",
          R"("received_at":"1767323015")",
      }) {
    EXPECT_THAT(json, HasSubstr(part)) << json;
  }
  EXPECT_EQ(json.back(), '\n');
  EXPECT_EQ(json.find('\n'), json.size() - 1) << "one line";
}

TEST(ComplianceOutputTest, CsvHasOneQuotedRowPerHost) {
  std::vector<std::string> lines = Lines(ComplianceCsv(Sample()));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0],
            "host,status,online,last_seen,policy,version,mode,checked_at,enforcement,summary,error");
  EXPECT_EQ(lines[1], "mx1,compliant,true,2026-01-02T03:04:00Z,no-open-relay,2,enforce,"
                      "2026-01-02T03:03:30Z,,all settings as desired,");
  EXPECT_EQ(lines[2], "mx2,relay-open,true,2026-01-02T03:04:00Z,no-open-relay,2,enforce,"
                      "2026-01-02T03:03:30Z,rolled-back,\"relays, \"\"open\"\"\",");
  EXPECT_THAT(lines[3], StartsWith("mx3,unreachable,false,"));
  EXPECT_EQ(lines[4], "mx4,never-checked,true,2026-01-02T03:04:00Z,,,,,,,");
}

TEST(ComplianceOutputTest, HistoryTableAndCsvListEntriesInTheOrderGiven) {
  pb::ComplianceResponse r;
  for (uint64_t seq : {3, 2, 1}) {
    pb::ComplianceCheck* c = r.add_history();
    c->set_host("mx1");
    c->set_received_at(kNow);
    c->mutable_report()->set_seq(seq);
    c->mutable_report()->set_status(Status(seq == 2 ? "drifted" : "compliant"));
    c->mutable_report()->set_checked_at(kNow - 100 * static_cast<int64_t>(4 - seq));
    c->mutable_report()->set_summary("s" + std::to_string(seq));
  }
  std::vector<std::string> table = Lines(ComplianceHistoryTable(r));
  ASSERT_EQ(table.size(), 4u);
  EXPECT_THAT(table[0], StartsWith("CHECKED"));
  EXPECT_THAT(table[1], StartsWith("2026-01-02T03:02:25Z mx1"));
  EXPECT_THAT(table[2], HasSubstr(" drifted "));
  EXPECT_THAT(table[3], HasSubstr("s1"));
  std::vector<std::string> csv = Lines(ComplianceHistoryCsv(r));
  ASSERT_EQ(csv.size(), 4u);
  EXPECT_EQ(csv[1], "mx1,3,2026-01-02T03:02:25Z,2026-01-02T03:04:05Z,compliant,,0,,,s3,");
  EXPECT_THAT(csv[2], StartsWith("mx1,2,"));
}

TEST(ComplianceOutputTest, HistoryTableEndsWithTheEvidenceOfEachRelayTheLogShowed) {
  pb::ComplianceResponse r;
  pb::ComplianceCheck* c = r.add_history();
  c->set_host("mx2");
  c->mutable_report()->set_status(Status("relay-open"));
  c->mutable_report()->set_checked_at(kNow);
  c->mutable_report()->set_trigger("relay-seen");
  pb::RelaySeen* seen = c->mutable_report()->mutable_relay_seen();
  seen->set_client_address("203.0.113.9");
  seen->set_sender("spam@example.org");
  seen->add_recipients("victim@example.net");
  seen->set_queue_id("AEC42A72135");
  seen->set_seen_at(kNow);
  seen->add_lines("AEC42A72135: client=unknown[203.0.113.9]");
  seen->add_lines("AEC42A72135: to=<victim@example.net>, relay=none, status=sent");
  std::vector<std::string> table = Lines(ComplianceHistoryTable(r));
  ASSERT_EQ(table.size(), 5u);
  EXPECT_THAT(table[1], HasSubstr(" relay-open "));
  EXPECT_THAT(table[2], StartsWith("relay seen on mx2 at "));
  EXPECT_THAT(table[2], HasSubstr("client 203.0.113.9, sender <spam@example.org>, to "
                                  "<victim@example.net>, queue id AEC42A72135"));
  EXPECT_EQ(table[3], "  | AEC42A72135: client=unknown[203.0.113.9]");
  EXPECT_EQ(table[4], "  | AEC42A72135: to=<victim@example.net>, relay=none, status=sent");
}

TEST(ComplianceOutputTest, ExitCodeSaysWhetherAnyHostIsNotCompliant) {
  pb::ComplianceResponse all_good;
  AddHost(all_good, "mx1", "compliant");
  EXPECT_EQ(ComplianceExitCode(all_good), 0);
  EXPECT_EQ(ComplianceExitCode(pb::ComplianceResponse()), 0);

  pb::ComplianceResponse unknown = all_good;
  AddHost(unknown, "mx2", "unreachable");  // last check compliant
  AddHost(unknown, "mx3", "never-checked", false);
  EXPECT_EQ(ComplianceExitCode(unknown), 5);

  pb::ComplianceResponse offline_open = all_good;
  AddHost(offline_open, "mx2", "unreachable")
      ->mutable_last()
      ->mutable_report()
      ->set_status(Status("relay-open"));
  EXPECT_EQ(ComplianceExitCode(offline_open), 4);

  EXPECT_EQ(ComplianceExitCode(Sample()), 4);
  for (const char* bad : {"drifted", "error"}) {
    pb::ComplianceResponse r = all_good;
    AddHost(r, "mx9", bad);
    EXPECT_EQ(ComplianceExitCode(r), 4) << bad;
  }
}

}  // namespace
}  // namespace relayguard::controller
