// RolloutManager (controller/rollout/rollout_manager.cc) with the real SqliteStore in a temp
// dir, the real AgentRegistry and AgentChannel, and agents that record what they are sent and
// answer from their own thread, as a stream does.
#include "controller/rollout/rollout_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <variant>

#include "tests/support/controller_parts.h"
#include "tests/support/wait.h"

namespace relayguard::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class RolloutManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(parts_.store->PutPolicyVersion({"no-open-relay", 2, kTestPlaybook, 1}).ok());
    for (const char* name : {"mx1", "mx2", "mx3"}) {
      HostRecord h;
      h.name = name;
      h.labels = {{"site", name == std::string("mx3") ? "ams1" : "fra1"}};
      ASSERT_TRUE(parts_.store->UpsertHost(h).ok());
    }
  }
  void TearDown() override { JoinAnswers(); }
  // Waits for the answers AnswerAfter started (before a manager they call goes away).
  void JoinAnswers() {
    std::vector<std::thread> started;
    {
      std::lock_guard<std::mutex> lock(answering_mu_);
      started.swap(answering_);
    }
    for (std::thread& t : started) t.join();
  }
  uint64_t Online(const std::string& host, RecordingAgent& agent) {
    uint64_t generation = parts_.Connect(host, agent);
    parts_.manager->OnHostOnline(host);
    return generation;
  }
  // Makes `agent` answer every command of type T after `delay`, from another thread.
  template <typename T>
  void AnswerAfter(RecordingAgent& agent, std::chrono::milliseconds delay,
                   std::function<void(const T&)> answer) {
    agent.on_send = [this, delay, answer](const AgentCommand& c) {
      const T* t = std::get_if<T>(&c);
      if (t == nullptr) return;
      std::lock_guard<std::mutex> lock(answering_mu_);
      answering_.emplace_back([delay, answer, copy = *t] {
        std::this_thread::sleep_for(delay);
        answer(copy);
      });
    };
  }
  StartRequest Request(std::vector<std::string> hosts) {
    StartRequest r;
    r.policy = "no-open-relay";
    r.hosts = std::move(hosts);
    return r;
  }
  HostResult Result(const std::string& host, const std::string& nonce, ApplyOutcome outcome) {
    HostResult r;
    r.host = host;
    r.nonce = nonce;
    r.outcome = outcome;
    return r;
  }
  HostPhase Phase(const std::string& id, const std::string& host) {
    return parts_.manager->Get(id)->state.hosts.at(host).phase;
  }

  ControllerParts parts_;
  std::mutex answering_mu_;
  std::vector<std::thread> answering_;
};

TEST_F(RolloutManagerTest, PushesToOnlineHostsAndToOfflineOnesWhenTheyConnect) {
  RecordingAgent mx1, mx3;
  Online("mx1", mx1);
  absl::StatusOr<RolloutRecord> r = parts_.manager->Start(Request({"mx1", "mx3"}), "operator-a");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_THAT(mx1.Sent<PushCommand>(), SizeIs(1));
  const PushCommand push = mx1.Sent<PushCommand>()[0];
  EXPECT_EQ(push.rollout_id, r->spec.id);
  EXPECT_EQ(push.policy_name, "no-open-relay");
  EXPECT_EQ(push.policy_version, 2u);
  EXPECT_EQ(push.policy_yaml, kTestPlaybook);
  EXPECT_EQ(Phase(r->spec.id, "mx3"), HostPhase::kPending);

  Online("mx3", mx3);
  ASSERT_THAT(mx3.Sent<PushCommand>(), SizeIs(1));
  EXPECT_NE(mx3.Sent<PushCommand>()[0].nonce, push.nonce);
  EXPECT_EQ(Phase(r->spec.id, "mx3"), HostPhase::kPushed);
  std::vector<AuditEntry> audit = *parts_.store->AuditLog(10);
  ASSERT_THAT(audit, SizeIs(1));
  EXPECT_EQ(audit[0].who, "operator-a");
  EXPECT_EQ(audit[0].action, "rollout start");
}

TEST_F(RolloutManagerTest, AcksFinishTheRolloutAndAreStoredWithIt) {
  RecordingAgent mx1, mx2;
  Online("mx1", mx1);
  Online("mx2", mx2);
  std::string id = parts_.manager->Start(Request({"mx1", "mx2"}), "op")->spec.id;
  parts_.manager->OnAnswer(
      "mx1", Result("mx1", mx1.Sent<PushCommand>()[0].nonce, ApplyOutcome::kApplied), true);
  parts_.manager->OnAnswer(
      "mx2", Result("mx2", mx2.Sent<PushCommand>()[0].nonce, ApplyOutcome::kUnchanged), true);
  EXPECT_EQ(parts_.manager->Get(id)->state.status, RolloutStatus::kSucceeded);
  std::vector<HostResult> results = *parts_.store->ResultsForRollout(id);
  ASSERT_THAT(results, SizeIs(2));
  for (const HostResult& result : results) {
    EXPECT_EQ(result.rollout_id, id);
    EXPECT_EQ(result.at, parts_.clock.wall.load());
  }
  // The store has the finished rollout (Get of an inactive rollout reads it there).
  EXPECT_EQ(parts_.store->Rollout(id)->value().state.status, RolloutStatus::kSucceeded);
}

TEST_F(RolloutManagerTest, AnAnswerWithAStaleNonceIsRefusedAndChangesNothing) {
  RecordingAgent mx1;
  Online("mx1", mx1);
  std::string id = parts_.manager->Start(Request({"mx1"}), "op")->spec.id;
  EXPECT_FALSE(
      parts_.manager->OnAnswer("mx1", Result("mx1", "r-old-nonce", ApplyOutcome::kApplied), true));
  EXPECT_EQ(Phase(id, "mx1"), HostPhase::kPushed);
  EXPECT_EQ(parts_.manager->Get(id)->state.status, RolloutStatus::kRunning);
  // Nothing awaited it: not even the host's history keeps it.
  EXPECT_THAT(*parts_.store->ResultsForHost("mx1", 10), IsEmpty());
  EXPECT_THAT(*parts_.store->ResultsForRollout(id), IsEmpty());
}

// Issue 17 (hostile agents): an answer is taken once, from the host it was asked of.
TEST_F(RolloutManagerTest, RefusesReplayedAnswersAndAnswersForAnotherHostsNonce) {
  RecordingAgent mx1, mx2;
  Online("mx1", mx1);
  Online("mx2", mx2);
  std::string id = parts_.manager->Start(Request({"mx1"}), "op")->spec.id;
  const std::string nonce = mx1.Sent<PushCommand>()[0].nonce;
  // mx2 is not in the rollout: its answer with mx1's nonce is refused.
  EXPECT_FALSE(parts_.manager->AwaitsAnswer("mx2", nonce));
  EXPECT_FALSE(parts_.manager->OnAnswer("mx2", Result("mx2", nonce, ApplyOutcome::kApplied), true));
  EXPECT_EQ(Phase(id, "mx1"), HostPhase::kPushed);
  EXPECT_TRUE(parts_.manager->AwaitsAnswer("mx1", nonce));
  EXPECT_TRUE(parts_.manager->OnAnswer("mx1", Result("mx1", nonce, ApplyOutcome::kApplied), true));
  EXPECT_EQ(parts_.manager->Get(id)->state.status, RolloutStatus::kSucceeded);
  // The same answer again (a replay), or a NACK with the nonce now: refused, stored once.
  EXPECT_FALSE(parts_.manager->OnAnswer("mx1", Result("mx1", nonce, ApplyOutcome::kApplied), true));
  EXPECT_FALSE(parts_.manager->OnAnswer("mx1", Result("mx1", nonce, ApplyOutcome::kRefused), false));
  EXPECT_THAT(*parts_.store->ResultsForHost("mx1", 10), SizeIs(1));
  EXPECT_THAT(*parts_.store->ResultsForHost("mx2", 10), IsEmpty());
  EXPECT_EQ(Phase(id, "mx1"), HostPhase::kSucceeded);
  // A rollback's nonce is owed by the host it went to only, and answered once.
  auto sent = parts_.manager->Rollback({"", {"mx1"}, {}, ""}, std::chrono::seconds(0), "op");
  ASSERT_TRUE(sent.ok()) << sent.status();
  const std::string rollback = mx1.Sent<RollbackCommand>()[0].nonce;
  EXPECT_FALSE(
      parts_.manager->OnAnswer("mx2", Result("mx2", rollback, ApplyOutcome::kRestored), true));
  EXPECT_TRUE(
      parts_.manager->OnAnswer("mx1", Result("mx1", rollback, ApplyOutcome::kRestored), true));
  EXPECT_FALSE(
      parts_.manager->OnAnswer("mx1", Result("mx1", rollback, ApplyOutcome::kRestored), true));
  EXPECT_THAT(*parts_.store->ResultsForHost("mx1", 10), SizeIs(2));
}

// Regression (controller crash matrix, issue 17, kill at wave-done): the controller stored an
// answer and died before saving the rollout's step; its successor pushes again with the same
// nonce and the agent answers as the first time. The store keeps one result, not two.
TEST_F(RolloutManagerTest, AnAnswerStoredBeforeARestartIsNotStoredAgain) {
  std::string id, nonce;
  {
    RecordingAgent mx1;
    Online("mx1", mx1);
    id = parts_.manager->Start(Request({"mx1"}), "op")->spec.id;
    nonce = mx1.Sent<PushCommand>()[0].nonce;
    HostResult stored = Result("mx1", nonce, ApplyOutcome::kApplied);
    stored.rollout_id = id;
    ASSERT_TRUE(parts_.store->AddResult(stored).ok());  // stored; the step was not saved
    parts_.Restart();
  }
  ASSERT_TRUE(parts_.manager->Recover().ok());
  RecordingAgent mx1;
  Online("mx1", mx1);
  ASSERT_THAT(mx1.Sent<PushCommand>(), SizeIs(1));
  EXPECT_TRUE(parts_.manager->OnAnswer("mx1", Result("mx1", nonce, ApplyOutcome::kApplied), true));
  EXPECT_EQ(parts_.manager->Get(id)->state.status, RolloutStatus::kSucceeded);
  EXPECT_THAT(*parts_.store->ResultsForRollout(id), SizeIs(1));
}

TEST_F(RolloutManagerTest, ARestartedControllerContinuesFromTheStoreAndRepushesTheSameNonce) {
  std::string id, nonce;
  {
    RecordingAgent mx1;
    Online("mx1", mx1);
    StartRequest request = Request({"mx1", "mx2"});
    request.waves = "1,100%";
    id = parts_.manager->Start(request, "op")->spec.id;
    nonce = mx1.Sent<PushCommand>()[0].nonce;
    parts_.Restart();  // the push went out; its answer was lost with the controller
  }
  ASSERT_TRUE(parts_.manager->Recover().ok());
  EXPECT_EQ(parts_.manager->Get(id)->state.hosts.at("mx1").phase, HostPhase::kPushed);
  RecordingAgent mx1, mx2;
  Online("mx1", mx1);
  Online("mx2", mx2);
  ASSERT_THAT(mx1.Sent<PushCommand>(), SizeIs(1));
  EXPECT_EQ(mx1.Sent<PushCommand>()[0].nonce, nonce);
  EXPECT_THAT(mx2.sent(), IsEmpty());  // its wave has not started
  parts_.manager->OnAnswer("mx1", Result("mx1", nonce, ApplyOutcome::kApplied), true);
  ASSERT_THAT(mx2.Sent<PushCommand>(), SizeIs(1));  // the next wave
  EXPECT_EQ(parts_.manager->Get(id)->state.current_wave, 1);
  // A rollout that finished before the restart is not resumed.
  parts_.manager->OnAnswer(
      "mx2", Result("mx2", mx2.Sent<PushCommand>()[0].nonce, ApplyOutcome::kApplied), true);
  parts_.Restart();
  ASSERT_TRUE(parts_.manager->Recover().ok());
  RecordingAgent again;
  Online("mx1", again);
  EXPECT_THAT(again.sent(), IsEmpty());
  EXPECT_EQ(parts_.manager->Get(id)->state.status, RolloutStatus::kSucceeded);
}

TEST_F(RolloutManagerTest, RollbackWaitsForTheAnswersAndReportsOfflineAndUnchangedHosts) {
  RecordingAgent mx1, mx2, mx3;
  Online("mx1", mx1);
  Online("mx2", mx2);
  uint64_t mx3_stream = Online("mx3", mx3);
  std::string id = parts_.manager->Start(Request({"mx1", "mx2", "mx3"}), "op")->spec.id;
  HostResult applied = Result("mx1", mx1.Sent<PushCommand>()[0].nonce, ApplyOutcome::kApplied);
  applied.backup_commit = "c0ffee";
  parts_.manager->OnAnswer("mx1", applied, true);
  HostResult applied3 = Result("mx3", mx3.Sent<PushCommand>()[0].nonce, ApplyOutcome::kApplied);
  applied3.backup_commit = "beef";
  parts_.manager->OnAnswer("mx3", applied3, true);
  parts_.manager->OnAnswer(
      "mx2", Result("mx2", mx2.Sent<PushCommand>()[0].nonce, ApplyOutcome::kUnchanged), true);
  parts_.registry->Unregister("mx3", mx3_stream);  // mx3 went away
  parts_.manager->OnHostOffline("mx3");
  AnswerAfter<RollbackCommand>(mx1, std::chrono::milliseconds(200),
                               [this](const RollbackCommand& c) {
                                 HostResult r = Result("mx1", c.nonce, ApplyOutcome::kRestored);
                                 r.result_commit = "d00d";
                                 parts_.manager->OnAnswer("mx1", r, true);
                               });
  absl::StatusOr<std::vector<HostRollback>> out =
      parts_.manager->Rollback({id, {}, {}, ""}, std::chrono::seconds(10), "operator-b");
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_THAT(*out, SizeIs(3));
  EXPECT_EQ((*out)[0].host, "mx1");
  EXPECT_EQ((*out)[0].status, RollbackStatus::kRestored);
  EXPECT_EQ((*out)[0].to_commit, "c0ffee");
  EXPECT_EQ((*out)[0].result_commit, "d00d");
  EXPECT_EQ((*out)[1].status, RollbackStatus::kSkipped);  // the rollout did not change mx2
  EXPECT_EQ((*out)[2].status, RollbackStatus::kOffline);
  EXPECT_EQ((*out)[2].to_commit, "beef");
  ASSERT_THAT(mx1.Sent<RollbackCommand>(), SizeIs(1));
  EXPECT_EQ(mx1.Sent<RollbackCommand>()[0].to_commit, "c0ffee");
  EXPECT_EQ(mx1.Sent<RollbackCommand>()[0].rollout_id, id);
  // The answer is stored as part of the rollout it undid.
  EXPECT_EQ((*parts_.store->ResultsForHost("mx1", 1))[0].rollout_id, id);
  std::vector<AuditEntry> audit = *parts_.store->AuditLog(1);
  EXPECT_EQ(audit[0].action, "rollback");
  EXPECT_EQ(audit[0].target, "rollout " + id);
  EXPECT_EQ(audit[0].result, "ok");
  // Nothing left for a restarted controller to send: mx1 answered, mx3 was never sent one.
  EXPECT_THAT(*parts_.store->PendingRollbacks(), IsEmpty());
}

// Controller crash matrix (issue 17, kill at rollback-answer-received): the controller sent a
// fleet rollback and died before it stored the answer. Its successor sends the rollback again,
// with the same nonce (the agent answers as it did, restoring nothing twice), when the host is
// back, and stores the answer once, with the rollout it undoes.
TEST_F(RolloutManagerTest, ARollbackUnansweredAtARestartIsSentAgainWithItsNonceAndStoredOnce) {
  std::string id;
  RollbackCommand first;
  {
    RecordingAgent mx1, mx2;
    Online("mx1", mx1);
    Online("mx2", mx2);
    id = parts_.manager->Start(Request({"mx1", "mx2"}), "op")->spec.id;
    for (auto [host, agent, commit] : {std::tuple("mx1", &mx1, "c0ffee"),
                                       std::tuple("mx2", &mx2, "beef")}) {
      HostResult applied =
          Result(host, agent->Sent<PushCommand>()[0].nonce, ApplyOutcome::kApplied);
      applied.backup_commit = commit;
      ASSERT_TRUE(parts_.manager->OnAnswer(host, applied, true));
    }
    // Kept in the store before it goes out.
    std::vector<PendingRollbackRecord> kept_at_send;
    mx1.on_send = [&](const AgentCommand& c) {
      if (std::holds_alternative<RollbackCommand>(c)) {
        kept_at_send = *parts_.store->PendingRollbacks();
      }
    };
    auto sent = parts_.manager->Rollback({id, {}, {}, ""}, std::chrono::seconds(0), "op");
    ASSERT_TRUE(sent.ok()) << sent.status();
    first = mx1.Sent<RollbackCommand>()[0];
    ASSERT_THAT(kept_at_send, SizeIs(1));
    EXPECT_EQ(kept_at_send[0], (PendingRollbackRecord{"mx1", first.nonce, id, "c0ffee",
                                                      parts_.clock.wall.load()}));
    // mx2's answer was stored before the kill; mx1's died with the controller.
    ASSERT_TRUE(parts_.manager->OnAnswer(
        "mx2", Result("mx2", mx2.Sent<RollbackCommand>()[0].nonce, ApplyOutcome::kRestored),
        true));
    ASSERT_THAT(*parts_.store->PendingRollbacks(), SizeIs(1));
    parts_.Restart();
  }
  parts_.clock.wall += 30;
  ASSERT_TRUE(parts_.manager->Recover().ok());
  RecordingAgent mx1, mx2;
  Online("mx2", mx2);
  EXPECT_THAT(mx2.sent(), IsEmpty());  // answered before the kill: nothing owed
  EXPECT_FALSE(parts_.manager->AwaitsAnswer("mx1", first.nonce));  // not sent again yet
  Online("mx1", mx1);
  ASSERT_THAT(mx1.Sent<RollbackCommand>(), SizeIs(1));
  const RollbackCommand again = mx1.Sent<RollbackCommand>()[0];
  EXPECT_EQ(again.nonce, first.nonce);
  EXPECT_EQ(again.rollout_id, id);
  EXPECT_EQ(again.to_commit, "c0ffee");
  EXPECT_THAT(mx1.Sent<PushCommand>(), IsEmpty());  // the rollout itself is finished

  HostResult restored = Result("mx1", first.nonce, ApplyOutcome::kRestored);
  restored.result_commit = "d00d";
  EXPECT_TRUE(parts_.manager->AwaitsAnswer("mx1", first.nonce));
  EXPECT_TRUE(parts_.manager->OnAnswer("mx1", restored, true));
  EXPECT_FALSE(parts_.manager->OnAnswer("mx1", restored, true));  // taken once
  // Bound to a name: a range-for over `*ResultsForRollout(id)` would iterate a vector
  // owned by a StatusOr destroyed before the loop runs (ASan: stack-use-after-scope).
  const absl::StatusOr<std::vector<HostResult>> results = parts_.store->ResultsForRollout(id);
  ASSERT_TRUE(results.ok()) << results.status();
  size_t mx1_restored = 0;
  for (const HostResult& r : *results) {
    if (r.host == "mx1" && r.outcome == ApplyOutcome::kRestored) {
      ++mx1_restored;
      EXPECT_EQ(r.result_commit, "d00d");
    }
  }
  EXPECT_EQ(mx1_restored, 1u);
  EXPECT_THAT(*parts_.store->PendingRollbacks(), IsEmpty());

  // Answered: neither a reconnect nor another restart sends it again.
  RecordingAgent reconnected;
  Online("mx1", reconnected);
  EXPECT_THAT(reconnected.sent(), IsEmpty());
  parts_.Restart();
  ASSERT_TRUE(parts_.manager->Recover().ok());
  RecordingAgent restarted;
  Online("mx1", restarted);
  EXPECT_THAT(restarted.sent(), IsEmpty());
}

TEST_F(RolloutManagerTest, ARollbackPendingForLongerThanTheResendWindowIsDroppedAtRecover) {
  const int64_t now = parts_.clock.wall.load();
  const PendingRollbackRecord old{"mx1", "rollback-1-1", "", "",
                                  now - 1 - RolloutManager::kResendRollbacksFor};
  const PendingRollbackRecord recent{"mx2", "rollback-2-2", "", "", now - 60};
  ASSERT_TRUE(parts_.store->AddPendingRollback(old).ok());
  ASSERT_TRUE(parts_.store->AddPendingRollback(recent).ok());
  RecordingAgent mx1, mx2;
  parts_.Connect("mx1", mx1);  // online already when the controller starts over
  parts_.Connect("mx2", mx2);
  ASSERT_TRUE(parts_.manager->Recover().ok());
  EXPECT_THAT(mx1.sent(), IsEmpty());
  ASSERT_THAT(mx2.Sent<RollbackCommand>(), SizeIs(1));
  EXPECT_EQ(mx2.Sent<RollbackCommand>()[0].nonce, "rollback-2-2");
  EXPECT_THAT(*parts_.store->PendingRollbacks(), ElementsAre(recent));
}

TEST_F(RolloutManagerTest, RollbackWithoutAnAnswerInTimeIsNoAnswerAndWithoutWaitingSent) {
  RecordingAgent mx1;
  Online("mx1", mx1);
  RollbackTargets targets{"", {"mx1"}, {}, ""};
  auto waited = parts_.manager->Rollback(targets, std::chrono::seconds(1), "op");
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ((*waited)[0].status, RollbackStatus::kNoAnswer);
  EXPECT_EQ((*waited)[0].error, "no answer within 1 s");
  auto sent = parts_.manager->Rollback(targets, std::chrono::seconds(0), "op");
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ((*sent)[0].status, RollbackStatus::kSent);
  EXPECT_EQ((*sent)[0].to_commit, "");  // before the newest apply, the agent decides
  // A late answer to a rollback nobody waits for is only history.
  const RollbackCommand late = mx1.Sent<RollbackCommand>()[0];
  parts_.manager->OnAnswer("mx1", Result("mx1", late.nonce, ApplyOutcome::kRestored), true);
  EXPECT_EQ((*parts_.store->ResultsForHost("mx1", 1))[0].rollout_id, "");
}

// The host's stream drops after the rollback went out and before its answer came (an agent
// restarted, a network blip): when the host is back, the same rollback is sent again with its
// nonce, the waiting operator gets the answer, and it is stored once.
TEST_F(RolloutManagerTest, ARollbackWhoseHostReconnectsBeforeAnsweringIsSentAgainAndStoredOnce) {
  RecordingAgent first, second;
  const uint64_t first_stream = Online("mx1", first);
  AnswerAfter<RollbackCommand>(second, std::chrono::milliseconds(0),
                               [this](const RollbackCommand& c) {
                                 parts_.manager->OnAnswer(
                                     "mx1", Result("mx1", c.nonce, ApplyOutcome::kRestored), true);
                               });
  std::thread reconnect([&] {
    ASSERT_TRUE(::relayguard::testing::WaitFor(
        [&] { return !first.Sent<RollbackCommand>().empty(); }, std::chrono::seconds(10)));
    parts_.registry->Unregister("mx1", first_stream);
    parts_.manager->OnHostOffline("mx1");
    Online("mx1", second);
  });
  absl::StatusOr<std::vector<HostRollback>> out =
      parts_.manager->Rollback({"", {"mx1"}, {}, ""}, std::chrono::seconds(20), "op");
  reconnect.join();
  JoinAnswers();
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_THAT(*out, SizeIs(1));
  EXPECT_EQ((*out)[0].status, RollbackStatus::kRestored) << (*out)[0].error;
  ASSERT_THAT(first.Sent<RollbackCommand>(), SizeIs(1));
  ASSERT_THAT(second.Sent<RollbackCommand>(), SizeIs(1));
  const RollbackCommand original = first.Sent<RollbackCommand>()[0];
  EXPECT_EQ(second.Sent<RollbackCommand>()[0].nonce, original.nonce);
  EXPECT_EQ(second.Sent<RollbackCommand>()[0].to_commit, original.to_commit);

  // Taken once: a second copy of the answer is refused; one row in the history, none pending.
  EXPECT_FALSE(parts_.manager->OnAnswer(
      "mx1", Result("mx1", original.nonce, ApplyOutcome::kRestored), true));
  const absl::StatusOr<std::vector<HostResult>> history = parts_.store->ResultsForHost("mx1", 10);
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_THAT(*history, SizeIs(1));
  EXPECT_EQ((*history)[0].nonce, original.nonce);
  EXPECT_THAT(*parts_.store->PendingRollbacks(), IsEmpty());
  // Answered: the next reconnect sends nothing.
  RecordingAgent third;
  Online("mx1", third);
  EXPECT_THAT(third.sent(), IsEmpty());
}

// A rollback never answered is sent again at each reconnect for kResendRollbacksFor, then
// dropped with its pending row.
TEST_F(RolloutManagerTest, AnUnansweredRollbackIsSentAgainAtReconnectsUntilTooOld) {
  RecordingAgent first, second, third;
  const uint64_t first_stream = Online("mx1", first);
  ASSERT_TRUE(parts_.manager->Rollback({"", {"mx1"}, {}, ""}, std::chrono::seconds(0), "op").ok());
  parts_.registry->Unregister("mx1", first_stream);
  parts_.manager->OnHostOffline("mx1");
  parts_.clock.wall += RolloutManager::kResendRollbacksFor;
  const uint64_t second_stream = Online("mx1", second);
  ASSERT_THAT(second.Sent<RollbackCommand>(), SizeIs(1));
  EXPECT_EQ(second.Sent<RollbackCommand>()[0].nonce, first.Sent<RollbackCommand>()[0].nonce);
  parts_.registry->Unregister("mx1", second_stream);
  parts_.manager->OnHostOffline("mx1");
  parts_.clock.wall += 1;
  Online("mx1", third);
  EXPECT_THAT(third.sent(), IsEmpty());
  EXPECT_THAT(*parts_.store->PendingRollbacks(), IsEmpty());
}

// A step hook that stalls the manager between an answer's arrival and its storing.
class SlowStepAt : public FaultPoints {
 public:
  explicit SlowStepAt(std::string step) : step_(std::move(step)) {}
  void Reached(absl::string_view step) override {
    if (step == step_) std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }

 private:
  std::string step_;
};

// Found by TSan (slower threads): Rollback returned "restored" while the answer's transaction
// had not run yet, so a caller (or a controller killed right then) saw an answer the store did
// not hold and a pending row that would be sent again. The waiter is told only after the store.
TEST_F(RolloutManagerTest, ARollbackIsReportedAnsweredOnlyOnceItsAnswerIsStored) {
  SlowStepAt slow("rollback-answer-received");
  RolloutManager manager(*parts_.facade, *parts_.channel, parts_.clock, NoControllerEvents(),
                         slow);
  RecordingAgent mx1;
  parts_.Connect("mx1", mx1);
  AnswerAfter<RollbackCommand>(mx1, std::chrono::milliseconds(0),
                               [this, &manager](const RollbackCommand& c) {
                                 manager.OnAnswer("mx1",
                                                  Result("mx1", c.nonce, ApplyOutcome::kRestored),
                                                  true);
                               });
  auto out = manager.Rollback({"", {"mx1"}, {}, "c0ffee1"}, std::chrono::seconds(10), "op");
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_THAT(*out, SizeIs(1));
  EXPECT_EQ((*out)[0].status, RollbackStatus::kRestored);
  const absl::StatusOr<std::vector<HostResult>> stored = parts_.store->ResultsForHost("mx1", 10);
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_THAT(*stored, SizeIs(1));
  EXPECT_EQ((*stored)[0].outcome, ApplyOutcome::kRestored);
  EXPECT_THAT(*parts_.store->PendingRollbacks(), IsEmpty());
  JoinAnswers();
}

TEST_F(RolloutManagerTest, RollbackRefusesUnknownTargetsAndAuditsTheRefusal) {
  auto unknown = parts_.manager->Rollback({"", {"mx9"}, {}, ""}, std::chrono::seconds(0), "op");
  EXPECT_TRUE(absl::IsNotFound(unknown.status())) << unknown.status();
  auto nothing = parts_.manager->Rollback({}, std::chrono::seconds(0), "op");
  EXPECT_TRUE(absl::IsInvalidArgument(nothing.status())) << nothing.status();
  auto no_rollout = parts_.manager->Rollback({"r-999999", {}, {}, ""}, std::chrono::seconds(0), "op");
  EXPECT_TRUE(absl::IsNotFound(no_rollout.status())) << no_rollout.status();
  std::vector<AuditEntry> audit = *parts_.store->AuditLog(10);
  ASSERT_THAT(audit, SizeIs(3));
  EXPECT_THAT(audit[0].result, HasSubstr("r-999999"));
  EXPECT_THAT(audit[2].result, HasSubstr("mx9"));
}

TEST_F(RolloutManagerTest, PlanCollectsAnswersAndReportsOfflineAndSilentHosts) {
  RecordingAgent mx1, mx2;
  AnswerAfter<PlanCommand>(mx1, std::chrono::milliseconds(100), [this](const PlanCommand& c) {
    parts_.channel->OnPlanAnswer(c.nonce, {"mx1", PlanStatus::kWouldChange, "-a\n+b\n", ""});
  });
  Online("mx1", mx1);
  Online("mx2", mx2);  // never answers
  StartRequest request = Request({});
  request.labels = {{"site", "fra1"}};
  request.hosts = {"mx3"};
  auto plan = parts_.manager->Plan(request, std::chrono::seconds(1), "op");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->first.version, 2u);
  ASSERT_THAT(plan->second, SizeIs(3));
  EXPECT_EQ(plan->second[0].status, PlanStatus::kWouldChange);
  EXPECT_EQ(plan->second[0].diff, "-a\n+b\n");
  EXPECT_EQ(plan->second[1].host, "mx2");
  EXPECT_EQ(plan->second[1].status, PlanStatus::kNoAnswer);
  EXPECT_EQ(plan->second[1].error, "no answer within 1 s");
  EXPECT_EQ(plan->second[2].host, "mx3");
  EXPECT_EQ(plan->second[2].status, PlanStatus::kOffline);
  ASSERT_THAT(mx2.Sent<PlanCommand>(), SizeIs(1));
  EXPECT_EQ(mx2.Sent<PlanCommand>()[0].policy_yaml, kTestPlaybook);
  // Nothing was started or stored as a result.
  EXPECT_THAT(*parts_.store->Rollouts(), IsEmpty());
  EXPECT_THAT(*parts_.store->ResultsForHost("mx1", 10), IsEmpty());
}

TEST_F(RolloutManagerTest, PlanAndStartRefuseUnknownPoliciesAndHosts) {
  StartRequest request = Request({"mx1"});
  request.policy = "strict-auth";
  EXPECT_TRUE(
      absl::IsNotFound(parts_.manager->Plan(request, std::chrono::seconds(0), "op").status()));
  EXPECT_TRUE(absl::IsNotFound(parts_.manager->Start(request, "op").status()));
  EXPECT_TRUE(absl::IsNotFound(parts_.manager->Start(Request({"mx9"}), "op").status()));
  std::vector<AuditEntry> audit = *parts_.store->AuditLog(10);
  ASSERT_THAT(audit, SizeIs(2));  // the failed starts; a failed plan changes nothing
  EXPECT_THAT(audit[0].result, HasSubstr("unknown host \"mx9\""));
}

TEST_F(RolloutManagerTest, AHostOfflinePastTheDeadlineFailsItsWave) {
  RecordingAgent mx1;
  Online("mx1", mx1);
  StartRequest request = Request({"mx1", "mx2"});
  request.offline_deadline_s = 60;
  std::string id = parts_.manager->Start(request, "op")->spec.id;
  parts_.clock.wall += 61;
  parts_.manager->OnTick();
  EXPECT_EQ(Phase(id, "mx2"), HostPhase::kFailed);
  EXPECT_EQ(parts_.store->Rollout(id)->value().state.hosts.at("mx2").phase, HostPhase::kFailed);
}

}  // namespace
}  // namespace relayguard::controller
