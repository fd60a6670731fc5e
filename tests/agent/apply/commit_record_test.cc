#include "agent/apply/commit_record.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace relayguard::agent {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using Trailers = std::map<std::string, std::string>;

struct Case {
  const char* name;
  Trailers trailers;  // exactly as the agent before CommitRecord wrote them
  CommitRecord record;
};

CommitRecord Apply(CommitPhase phase) {
  CommitRecord r;
  r.action = CommitAction::kApply;
  r.phase = phase;
  r.policy = "no-open-relay";
  r.version = 3;
  r.mta = "postfix 3.7.11";
  return r;
}

std::vector<Case> Cases() {
  std::vector<Case> cases;
  const Trailers apply = {{"Action", "apply"}, {"Policy", "no-open-relay"}, {"Version", "3"},
                          {"Mta", "postfix 3.7.11"}};
  Trailers t = apply;
  t["Phase"] = "before";
  cases.push_back({"apply backup", t, Apply(CommitPhase::kBefore)});

  t = apply;
  t["Backup"] = "0123456789abcdef";
  t["Phase"] = "after";
  t["Outcome"] = "applied";
  t["Settings"] = "main.cf:12 mynetworks main.cf smtpd_relay_restrictions (added)";
  CommitRecord r = Apply(CommitPhase::kAfter);
  r.backup = "0123456789abcdef";
  r.settings = "main.cf:12 mynetworks main.cf smtpd_relay_restrictions (added)";
  cases.push_back({"apply result", t, r});

  t = apply;
  t["Backup"] = "0123456789abcdef";
  t["Phase"] = "rolled-back";
  t["FailedPhase"] = "verify";
  t["Reason"] = "relaying from untrusted 127.0.0.9 is still not refused";
  t["Outcome"] = "rolled-back";
  r = Apply(CommitPhase::kRolledBack);
  r.backup = "0123456789abcdef";
  r.failed_phase = "verify";
  r.reason = "relaying from untrusted 127.0.0.9 is still not refused";
  r.outcome = CommitOutcome::kRolledBack;
  cases.push_back({"apply rolled back", t, r});

  t["Outcome"] = "rollback-failed";
  r.outcome = CommitOutcome::kRollbackFailed;
  cases.push_back({"apply rollback failed", t, r});

  CommitRecord rollback;
  rollback.action = CommitAction::kRollback;
  rollback.target = "fedcba9876543210";
  cases.push_back({"rollback backup",
                   {{"Action", "rollback"}, {"Target", "fedcba9876543210"}, {"Phase", "before"}},
                   rollback});
  rollback.phase = CommitPhase::kAfter;
  rollback.backup = "0123456789abcdef";
  rollback.outcome = CommitOutcome::kRestored;
  cases.push_back({"rollback result",
                   {{"Action", "rollback"}, {"Target", "fedcba9876543210"},
                    {"Backup", "0123456789abcdef"}, {"Phase", "after"}, {"Outcome", "restored"}},
                   rollback});
  rollback.phase = CommitPhase::kRolledBack;
  rollback.outcome = CommitOutcome::kRolledBack;
  rollback.failed_phase = "activate";
  rollback.reason = "";
  cases.push_back({"rollback rolled back (empty reason)",
                   {{"Action", "rollback"}, {"Target", "fedcba9876543210"},
                    {"Backup", "0123456789abcdef"}, {"Phase", "rolled-back"},
                    {"FailedPhase", "activate"}, {"Reason", ""}, {"Outcome", "rolled-back"}},
                   rollback});

  CommitRecord recovery;
  recovery.action = CommitAction::kRecovery;
  recovery.backup = "0123456789abcdef";
  recovery.interrupted_action = "apply";
  recovery.interrupted_phase = "reload";
  recovery.policy = "no-open-relay";
  recovery.outcome = CommitOutcome::kRestored;
  const Trailers recovered = {{"Action", "recovery"},        {"Backup", "0123456789abcdef"},
                              {"InterruptedAction", "apply"}, {"InterruptedPhase", "reload"},
                              {"Policy", "no-open-relay"},    {"Outcome", "restored"}};
  cases.push_back({"recovery", recovered, recovery});
  t = recovered;
  t["Outcome"] = "recovery-failed";
  recovery.outcome = CommitOutcome::kRecoveryFailed;
  cases.push_back({"recovery failed", t, recovery});

  CommitRecord baseline;
  baseline.action = CommitAction::kBaseline;
  baseline.policy = "no-open-relay";
  baseline.version = 3;
  cases.push_back({"compliance baseline",
                   {{"Action", "baseline"}, {"Policy", "no-open-relay"}, {"Version", "3"}},
                   baseline});
  return cases;
}

TEST(CommitRecordTest, ReadsTheTrailersTodaysAgentWrites) {
  for (const Case& c : Cases()) {
    absl::StatusOr<CommitRecord> r = CommitRecord::FromTrailers("0123456789abcdef", c.trailers);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.status();
    EXPECT_EQ(*r, c.record) << c.name;
  }
}

TEST(CommitRecordTest, WritesTheSameTrailers) {
  for (const Case& c : Cases()) EXPECT_EQ(c.record.ToTrailers(), c.trailers) << c.name;
}

TEST(CommitRecordTest, AbsentSettingsOfAnApplyMeanNone) {
  Trailers t = Apply(CommitPhase::kAfter).ToTrailers();
  t.erase("Settings");
  absl::StatusOr<CommitRecord> r = CommitRecord::FromTrailers("0123456789abcdef", t);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->settings, "");
}

TEST(CommitRecordTest, IgnoresKeysItDoesNotKnow) {
  Trailers t = Apply(CommitPhase::kBefore).ToTrailers();
  t["Host"] = "mx1";
  absl::StatusOr<CommitRecord> r = CommitRecord::FromTrailers("0123456789abcdef", t);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, Apply(CommitPhase::kBefore));
}

TEST(CommitRecordTest, ErrorsNameTheCommitAndTheKey) {
  struct Bad {
    const char* name;
    Trailers trailers;
    const char* key;
    const char* detail;
  };
  const Bad cases[] = {
      {"no trailers", {}, "Relayguard-Action", "has no"},
      {"unknown action", {{"Action", "reboot"}}, "Relayguard-Action", "\"reboot\", not one of"},
      {"apply without a version",
       {{"Action", "apply"}, {"Policy", "p"}, {"Mta", "postfix"}, {"Phase", "before"}},
       "Relayguard-Version", "has no"},
      {"version not a number",
       {{"Action", "baseline"}, {"Policy", "p"}, {"Version", "v3"}},
       "Relayguard-Version", "not a number"},
      {"unknown phase",
       {{"Action", "rollback"}, {"Target", "t"}, {"Phase", "during"}},
       "Relayguard-Phase", "not one of before, after, rolled-back"},
      {"result without an outcome",
       {{"Action", "rollback"}, {"Target", "t"}, {"Phase", "after"}, {"Backup", "b"}},
       "Relayguard-Outcome", "has no"},
      {"rolled back without a reason",
       {{"Action", "rollback"}, {"Target", "t"}, {"Phase", "rolled-back"}, {"Backup", "b"},
        {"Outcome", "rolled-back"}, {"FailedPhase", "verify"}},
       "Relayguard-Reason", "has no"},
  };
  for (const Bad& c : cases) {
    absl::StatusOr<CommitRecord> r = CommitRecord::FromTrailers("0123456789abcdef", c.trailers);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(r.status().message(),
                AllOf(HasSubstr("backup commit 0123456789"), HasSubstr(c.key),
                      HasSubstr(c.detail)))
        << c.name;
  }
}

TEST(CommitRecordTest, NamesParseBack) {
  for (CommitAction a : {CommitAction::kApply, CommitAction::kRollback, CommitAction::kRecovery,
                         CommitAction::kBaseline}) {
    EXPECT_EQ(ParseCommitAction(CommitActionName(a)), a);
  }
  for (CommitPhase p : {CommitPhase::kBefore, CommitPhase::kAfter, CommitPhase::kRolledBack}) {
    EXPECT_EQ(ParseCommitPhase(CommitPhaseName(p)), p);
  }
  for (CommitOutcome o : {CommitOutcome::kApplied, CommitOutcome::kRolledBack,
                          CommitOutcome::kRollbackFailed, CommitOutcome::kRestored,
                          CommitOutcome::kRecoveryFailed}) {
    EXPECT_EQ(ParseCommitOutcome(CommitOutcomeName(o)), o);
  }
  EXPECT_EQ(ParseCommitOutcome("rolled back"), std::nullopt);
}

}  // namespace
}  // namespace relayguard::agent
