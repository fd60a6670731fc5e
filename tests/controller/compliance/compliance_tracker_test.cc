// The controller's compliance logic (controller/compliance/compliance_tracker.cc) against a real
// SQLite store, with agents that record what was sent to them.
#include "controller/compliance/compliance_tracker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "controller/store/sqlite_store.h"

namespace relayguard::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class TestClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return {}; }
  int64_t WallSeconds() override { return wall; }
  void SleepFor(std::chrono::milliseconds) override {}
  int64_t wall = 1700000000;
};

// An agent stream that records the commands sent to it.
struct FakeAgent {
  std::vector<AgentCommand> sent;
  AgentRegistry::Link Link() {
    AgentRegistry::Link link;
    link.send = [this](const AgentCommand& c) {
      sent.push_back(c);
      return true;
    };
    link.close = [](const std::string&) {};
    return link;
  }
};

const char kPlaybook[] = R"(name: no-open-relay
version: 2
relay:
  trusted_networks: [127.0.0.1/32]
compliance:
  schedule: "@hourly"
  mode: enforce
  failure_budget: 1
)";

class ComplianceTrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-compliance-tracker.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto store = SqliteStore::Open(dir_ + "/controller.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    facade_ = std::make_unique<StoreFacade>(*store_, clock_);
    tracker_ = std::make_unique<ComplianceTracker>(*facade_, registry_, clock_);
    ASSERT_TRUE(store_->PutPolicyVersion({"no-open-relay", 2, kPlaybook, 1}).ok());
    for (const char* name : {"mx1", "mx2", "mx3"}) {
      HostRecord h;
      h.name = name;
      h.applied_policy = "no-open-relay";
      h.applied_version = 2;
      ASSERT_TRUE(store_->UpsertHost(h).ok());
    }
  }
  void TearDown() override {
    tracker_.reset();
    facade_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Connect(const std::string& host, FakeAgent& agent) {
    registry_.Register(host, agent.Link(), {}, clock_.wall);
  }
  static ComplianceCheckRecord Report(const std::string& host, uint64_t seq,
                                      const std::string& status, const std::string& enforcement) {
    ComplianceCheckRecord c;
    c.host = host;
    c.seq = seq;
    c.policy = "no-open-relay";
    c.version = 2;
    c.mode = ComplianceMode::kEnforce;
    c.status = *ParseComplianceStatus(status);
    c.checked_at = 1699999000 + static_cast<int64_t>(seq);
    c.enforcement = *ParseEnforcement(enforcement);
    c.summary = status;
    c.report = "bytes-" + host + std::to_string(seq);
    return c;
  }
  std::vector<AuditEntry> Audit() { return *store_->AuditLog(100); }

  std::string dir_;
  TestClock clock_;
  AgentRegistry registry_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<StoreFacade> facade_;
  std::unique_ptr<ComplianceTracker> tracker_;
};

TEST_F(ComplianceTrackerTest, StoresACheckOnceWithTheTimeItCame) {
  absl::StatusOr<bool> first = tracker_->Record(Report("mx1", 1, "drifted", ""), {});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(*first);
  clock_.wall += 60;
  absl::StatusOr<bool> again = tracker_->Record(Report("mx1", 1, "drifted", ""), {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(*again);
  std::vector<ComplianceCheckRecord> history = *store_->ComplianceHistory("mx1", 10);
  ASSERT_THAT(history, SizeIs(1));
  EXPECT_EQ(history[0].received_at, 1700000000);
  EXPECT_EQ(history[0].report, "bytes-mx11");
}

TEST_F(ComplianceTrackerTest, EnforcementThatRanIsAuditedOnceAsTheAgent) {
  ASSERT_TRUE(*tracker_->Record(Report("mx1", 1, "compliant", ""), {}));
  ASSERT_TRUE(*tracker_->Record(Report("mx1", 2, "drifted", "outside-window"), {}));
  EXPECT_THAT(Audit(), IsEmpty());
  EnforcementCommits commits{"aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb"};
  ASSERT_TRUE(*tracker_->Record(Report("mx1", 3, "drifted", "applied"), commits));
  ASSERT_FALSE(*tracker_->Record(Report("mx1", 3, "drifted", "applied"), commits));  // re-send
  std::vector<AuditEntry> audit = Audit();
  ASSERT_THAT(audit, SizeIs(1));
  EXPECT_EQ(audit[0].who, "agent:mx1");
  EXPECT_EQ(audit[0].action, "enforce");
  EXPECT_EQ(audit[0].target, "no-open-relay v2");
  EXPECT_EQ(audit[0].result, "applied (backup aaaaaaaaaa -> result bbbbbbbbbb)");
}

TEST_F(ComplianceTrackerTest, FailuresBeyondTheBudgetHoldEnforcementOnEveryOnlineAgentOnce) {
  FakeAgent mx1, mx2, mx3;
  Connect("mx1", mx1);
  Connect("mx2", mx2);
  Connect("mx3", mx3);
  // Budget 1: the first failed host is within it, even when it fails twice.
  ASSERT_TRUE(*tracker_->Record(Report("mx1", 1, "drifted", "rolled-back"), {}));
  ASSERT_TRUE(*tracker_->Record(Report("mx1", 2, "drifted", "rolled-back"), {}));
  EXPECT_THAT(mx1.sent, IsEmpty());
  EXPECT_FALSE(tracker_->HoldOn("no-open-relay", 2).has_value());
  // A second host over the budget: held.
  ASSERT_TRUE(*tracker_->Record(Report("mx2", 1, "relay-open", "rollback-failed"), {}));
  for (FakeAgent* a : {&mx1, &mx2, &mx3}) {
    ASSERT_THAT(a->sent, SizeIs(1));
    ASSERT_TRUE(std::holds_alternative<EnforceHoldCommand>(a->sent[0]));
    const auto& hold = std::get<EnforceHoldCommand>(a->sent[0]);
    EXPECT_EQ(hold.policy_name, "no-open-relay");
    EXPECT_EQ(hold.policy_version, 2u);
    EXPECT_EQ(hold.reason,
              "2 hosts failed to enforce no-open-relay v2 (budget 1): mx1, mx2");
  }
  std::optional<EnforceHoldRecord> hold = tracker_->HoldOn("no-open-relay", 2);
  ASSERT_TRUE(hold.has_value());
  EXPECT_THAT(hold->reason, HasSubstr("mx1, mx2"));
  std::vector<AuditEntry> audit = Audit();
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit[0].who, "controller");
  EXPECT_EQ(audit[0].action, "enforce hold");
  EXPECT_EQ(audit[0].target, "no-open-relay v2");
  // A third failure does not hold (or tell the agents) again.
  ASSERT_TRUE(*tracker_->Record(Report("mx3", 1, "drifted", "rolled-back"), {}));
  EXPECT_THAT(mx3.sent, SizeIs(1));
  EXPECT_THAT(*store_->EnforceHolds(), SizeIs(1));
}

TEST_F(ComplianceTrackerTest, APolicyVersionNotInTheStoreHasBudgetZero) {
  FakeAgent mx1;
  Connect("mx1", mx1);
  ComplianceCheckRecord c = Report("mx1", 1, "drifted", "rolled-back");
  c.version = 9;
  ASSERT_TRUE(*tracker_->Record(c, {}));
  ASSERT_THAT(mx1.sent, SizeIs(1));
  EXPECT_EQ(std::get<EnforceHoldCommand>(mx1.sent[0]).reason, "1 host failed to enforce no-open-relay v9 (budget 0): mx1");
}

TEST_F(ComplianceTrackerTest, TheViewShowsOfflineHostsAsUnreachableAndTheHolds) {
  FakeAgent mx1, mx2;
  Connect("mx1", mx1);
  Connect("mx2", mx2);
  ASSERT_TRUE(*tracker_->Record(Report("mx1", 1, "compliant", ""), {}));
  ASSERT_TRUE(*tracker_->Record(Report("mx3", 1, "relay-open", "rolled-back"), {}));
  ASSERT_TRUE(*tracker_->Record(Report("mx3", 2, "relay-open", "rolled-back"), {}));
  ASSERT_TRUE(*tracker_->Record(Report("mx2", 1, "drifted", "rolled-back"), {}));
  absl::StatusOr<ComplianceView> view = tracker_->View({"", true, 2});
  ASSERT_TRUE(view.ok()) << view.status();
  ASSERT_THAT(view->fleet.hosts, SizeIs(3));
  EXPECT_EQ(view->fleet.hosts[0].status, FleetHostStatus::kCompliant);
  EXPECT_EQ(view->fleet.hosts[1].status, FleetHostStatus::kDrifted);
  EXPECT_EQ(view->fleet.hosts[2].status, FleetHostStatus::kUnreachable);
  ASSERT_TRUE(view->fleet.hosts[2].last.has_value());
  EXPECT_EQ(view->fleet.hosts[2].last->seq, 2u);
  EXPECT_EQ(view->fleet.compliant, 1);
  EXPECT_EQ(view->fleet.total, 3);
  ASSERT_THAT(view->history, SizeIs(2));  // the limit
  ASSERT_THAT(view->holds, SizeIs(1));
  EXPECT_EQ(view->holds[0].reason,
            "2 hosts failed to enforce no-open-relay v2 (budget 1): mx2, mx3");

  absl::StatusOr<ComplianceView> one = tracker_->View({"mx3", true, 10});
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_THAT(one->fleet.hosts, SizeIs(1));
  EXPECT_THAT(one->history, SizeIs(2));
  absl::StatusOr<ComplianceView> unknown = tracker_->View({"nope", false, 10});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(), HasSubstr("nope"));
}

}  // namespace
}  // namespace relayguard::controller
