// Scheduled compliance end to end on the controller side: the real relayguard-controller on a
// loopback port chosen at run time, raw agent streams driven from this test (hello, then
// ComplianceReports: compliant, relay-open with a diff, a re-send, an older one out of order;
// enforcement failures over a playbook's failure budget), and the real relayguardctl.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/compliance_states_proto.h"
#include "relayguard/v1/agent_stream.grpc.pb.h"
#include "tests/support/daemon.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/wait.h"

namespace relayguard::controller {
namespace {

using ::relayguard::testing::Daemon;
using ::relayguard::testing::FreeLoopbackPort;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::WaitFor;
using ::relayguard::testing::WriteFileOrDie;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
namespace pb = ::relayguard::v1;

const std::string kBin = RG_BINARY_DIR;

// One agent stream from this test: writes from the test thread, a reader thread collects what
// the controller sends.
class RawAgent {
 public:
  RawAgent(const std::string& address, const std::string& host, const std::string& policy,
           uint64_t version)
      : stub_(pb::AgentStream::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    stream_ = stub_->Connect(&context_);
    reader_ = std::thread([this] {
      pb::ControllerMessage m;
      while (stream_->Read(&m)) {
        std::lock_guard<std::mutex> lock(mu_);
        received_.push_back(m);
        cv_.notify_all();
      }
    });
    pb::AgentMessage hello;
    hello.mutable_hello()->set_host(host);
    hello.mutable_hello()->set_mta("noop");
    hello.mutable_hello()->set_applied_policy(policy);
    hello.mutable_hello()->set_applied_version(version);
    EXPECT_TRUE(stream_->Write(hello));
  }
  ~RawAgent() { Close(); }

  bool Send(const pb::ComplianceReport& report) {
    pb::AgentMessage m;
    *m.mutable_compliance() = report;
    return stream_->Write(m);
  }

  // The first message received (and not yet taken) that `match`es, within `limit`.
  std::optional<pb::ControllerMessage> Take(
      const std::function<bool(const pb::ControllerMessage&)>& match,
      std::chrono::seconds limit = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    std::optional<pb::ControllerMessage> found;
    cv_.wait_for(lock, limit, [&] {
      for (auto it = received_.begin(); it != received_.end(); ++it) {
        if (match(*it)) {
          found = *it;
          received_.erase(it);
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::optional<uint64_t> TakeAck() {
    auto m = Take([](const pb::ControllerMessage& m) { return m.has_compliance_ack(); });
    if (!m) return std::nullopt;
    return m->compliance_ack().seq();
  }
  std::optional<pb::EnforceHold> TakeHold(std::chrono::seconds limit = std::chrono::seconds(10)) {
    auto m = Take([](const pb::ControllerMessage& m) { return m.has_enforce_hold(); }, limit);
    if (!m) return std::nullopt;
    return m->enforce_hold();
  }
  void Close() {
    if (closed_) return;
    closed_ = true;
    stream_->WritesDone();
    reader_.join();
    stream_->Finish();
  }

 private:
  std::unique_ptr<pb::AgentStream::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<pb::AgentMessage, pb::ControllerMessage>> stream_;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<pb::ControllerMessage> received_;
  bool closed_ = false;
};

pb::ComplianceReport Report(uint64_t seq, const std::string& policy, uint64_t version,
                            const std::string& status, int64_t checked_at) {
  pb::ComplianceReport r;
  r.set_seq(seq);
  r.set_policy_name(policy);
  r.set_policy_version(version);
  r.set_mode(pb::COMPLIANCE_MODE_AUDIT);
  r.set_status(ComplianceStatusToProto(*ParseComplianceStatus(status)));
  r.set_enforcement(pb::ENFORCEMENT_NONE);
  r.set_checked_at(checked_at);
  r.set_summary(status == "compliant" ? "as desired" : "mynetworks drifted; the probe relays");
  r.mutable_probe()->set_source_address("127.0.0.9");
  r.mutable_probe()->set_verdict(status == "relay-open" ? pb::PROBE_VERDICT_RELAY_ACCEPTED
                                                        : pb::PROBE_VERDICT_REFUSED);
  return r;
}

const char kNoOpenRelay[] = R"(name: no-open-relay
version: 1
relay:
  trusted_networks: [127.0.0.1/32]
)";

const char kBudgetPolicy[] = R"(name: budget-policy
version: 2
relay:
  trusted_networks: [127.0.0.1/32]
compliance:
  schedule: "@every 1h"
  mode: enforce
  failure_budget: 1
)";

class ComplianceIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-compliance-it.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/playbooks");
    WriteFileOrDie(dir_ + "/playbooks/no-open-relay.yaml", kNoOpenRelay);
    WriteFileOrDie(dir_ + "/playbooks/budget-policy.yaml", kBudgetPolicy);
    port_ = FreeLoopbackPort();
    controller_ = std::make_unique<Daemon>(
        std::vector<std::string>{kBin + "/controller/relayguard-controller", "--insecure",
                                 "--listen", Address(), "--playbooks", dir_ + "/playbooks",
                                 "--state-dir", dir_ + "/controller", "--log-level", "debug"},
        dir_ + "/controller.log");
    ASSERT_TRUE(WaitFor([&] { return controller_->Log().find("listening on") != std::string::npos; },
                        std::chrono::seconds(10)))
        << controller_->Log();
    ASSERT_THAT(controller_->Log(), HasSubstr("playbook budget-policy v2")) << controller_->Log();
  }
  void TearDown() override {
    controller_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string Address() const { return "127.0.0.1:" + std::to_string(port_); }
  // relayguardctl with `args`; its stdout (stderr dropped) and exit code.
  std::string Ctl(const std::vector<std::string>& args, int* code = nullptr) {
    std::vector<std::string> argv = {kBin + "/controller/relayguardctl", "--controller",
                                     Address(), "--insecure"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string out;
    int rc = RunCommand(argv, &out, {}, nullptr, /*keep_stderr=*/false);
    if (code != nullptr) *code = rc;
    return out;
  }
  std::vector<std::string> CtlLines(const std::vector<std::string>& args, int* code = nullptr) {
    return absl::StrSplit(Ctl(args, code), '\n', absl::SkipEmpty());
  }
  bool Known(const std::string& host) { return Ctl({"hosts"}).find(host) != std::string::npos; }

  std::string dir_;
  int port_ = 0;
  std::unique_ptr<Daemon> controller_;
};

TEST_F(ComplianceIntegrationTest, ReportsAreStoredOnceAckedAndShownPerHost) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  RawAgent mx1(Address(), "mx1", "no-open-relay", 1);
  RawAgent mx2(Address(), "mx2", "no-open-relay", 1);
  RawAgent mx3(Address(), "mx3", "no-open-relay", 1);  // never reports
  ASSERT_TRUE(WaitFor([&] { return Known("mx1") && Known("mx2") && Known("mx3"); },
                      std::chrono::seconds(10)))
      << controller_->Log();

  ASSERT_TRUE(mx1.Send(Report(1, "no-open-relay", 1, "compliant", now - 100)));
  EXPECT_EQ(mx1.TakeAck(), 1u);

  pb::ComplianceReport open = Report(5, "no-open-relay", 1, "relay-open", now - 50);
  pb::SettingDrift* drift = open.add_settings();
  drift->set_setting("mynetworks");
  drift->set_effective("0.0.0.0/0");
  drift->set_desired("127.0.0.1/32");
  pb::ChangedFile* file = open.add_changed_files();
  file->set_path("/etc/postfix/main.cf");
  file->set_modified_at(now - 600);
  file->set_diff("--- main.cf\n+++ main.cf\n-mynetworks = 127.0.0.1/32\n+mynetworks = 0.0.0.0/0\n");
  ASSERT_TRUE(mx2.Send(open));
  EXPECT_EQ(mx2.TakeAck(), 5u);
  ASSERT_TRUE(mx2.Send(open));  // re-sent after a reconnect: acked again, stored once
  EXPECT_EQ(mx2.TakeAck(), 5u);
  ASSERT_TRUE(mx2.Send(Report(4, "no-open-relay", 1, "compliant", now - 200)));  // late, older
  EXPECT_EQ(mx2.TakeAck(), 4u);
  EXPECT_THAT(controller_->Log(), HasSubstr("mx2: relay-open against no-open-relay v1 (check 5)"));

  int code = -1;
  std::string json = Ctl({"compliance", "--json"}, &code);
  EXPECT_EQ(code, 4) << json;
  EXPECT_THAT(json, HasSubstr(R"("compliant":1,"total":3,)"));
  EXPECT_THAT(json,
              HasSubstr(R"({"host":"mx1","status":"FLEET_HOST_STATUS_COMPLIANT","online":true)"));
  // mx2's newest check is seq 5 (checked last), though seq 4 arrived after it.
  EXPECT_THAT(json,
              HasSubstr(R"({"host":"mx2","status":"FLEET_HOST_STATUS_RELAY_OPEN","online":true)"));
  EXPECT_THAT(json, HasSubstr(R"("last":{"host":"mx2","report":{"seq":"5",)"));
  EXPECT_THAT(json, HasSubstr(R"("setting":"mynetworks","effective":"0.0.0.0/0","desired":"127.0.0.1/32")"));
  EXPECT_THAT(json, HasSubstr(R"("path":"/etc/postfix/main.cf",)"));
  EXPECT_THAT(json, HasSubstr(R"("modified_at":")" + std::to_string(now - 600) + "\""));
  EXPECT_THAT(json, HasSubstr(R"("verdict":"PROBE_VERDICT_RELAY_ACCEPTED")"));
  EXPECT_THAT(
      json, HasSubstr(R"({"host":"mx3","status":"FLEET_HOST_STATUS_NEVER_CHECKED","online":true)"));

  std::vector<std::string> csv = CtlLines({"compliance", "--csv"}, &code);
  EXPECT_EQ(code, 4);
  ASSERT_EQ(csv.size(), 4u);
  EXPECT_THAT(csv[0], StartsWith("host,status,online,"));
  EXPECT_THAT(csv[1], StartsWith("mx1,compliant,true,"));
  EXPECT_THAT(csv[2], StartsWith("mx2,relay-open,true,"));
  EXPECT_THAT(csv[2], HasSubstr(",no-open-relay,1,audit,"));
  EXPECT_THAT(csv[3], StartsWith("mx3,never-checked,true,"));

  // History: newest check first, the re-send stored once.
  std::vector<std::string> history = CtlLines({"compliance", "--history", "--csv"});
  ASSERT_EQ(history.size(), 4u) << Ctl({"compliance", "--history", "--csv"});
  EXPECT_THAT(history[1], StartsWith("mx2,5,"));
  EXPECT_THAT(history[2], StartsWith("mx1,1,"));
  EXPECT_THAT(history[3], StartsWith("mx2,4,"));
  std::vector<std::string> mx2_history =
      CtlLines({"compliance", "--history", "--host", "mx2", "--limit", "1"});
  ASSERT_EQ(mx2_history.size(), 2u);
  EXPECT_THAT(mx2_history[1], HasSubstr(" mx2 "));
  EXPECT_THAT(mx2_history[1], HasSubstr(" relay-open "));

  std::string table = Ctl({"compliance", "--diff"});
  EXPECT_THAT(table, HasSubstr("fleet: 1/3 hosts compliant (33.3%)"));
  EXPECT_THAT(table, HasSubstr("   setting mynetworks: 0.0.0.0/0 -> 127.0.0.1/32\n"));
  EXPECT_THAT(table, HasSubstr("   | +mynetworks = 0.0.0.0/0\n"));

  // mx1 goes away: unreachable, its last check still attached.
  mx1.Close();
  ASSERT_TRUE(WaitFor(
      [&] {
        return Ctl({"compliance", "--json"})
                   .find(
                       R"({"host":"mx1","status":"FLEET_HOST_STATUS_UNREACHABLE","online":false)") !=
               std::string::npos;
      },
      std::chrono::seconds(10)))
      << Ctl({"compliance", "--json"});
  json = Ctl({"compliance", "--host", "mx1", "--json"}, &code);
  EXPECT_EQ(code, 5) << json;  // only unreachable, last check compliant
  EXPECT_THAT(json, HasSubstr(R"("compliant":0,"total":1)"));
  EXPECT_THAT(json, HasSubstr(R"("last":{"host":"mx1","report":{"seq":"1",)"));
  EXPECT_THAT(Ctl({"compliance"}), HasSubstr("fleet: 0/3 hosts compliant (0.0%)"));
  Ctl({"compliance", "--host", "nobody"}, &code);
  EXPECT_EQ(code, 2);
}

// A listener of the report: address, service, declared at, its verdict and the probe's detail.
void AddListener(pb::ComplianceReport& r, const std::string& address, const std::string& service,
                 const std::string& declared_at, pb::ProbeVerdict verdict, bool internal = false) {
  pb::ListenerResult* l = r.add_listeners();
  l->set_address(address);
  l->set_bind("127.0.0.1");
  l->set_tls(service == "smtps" ? pb::LISTENER_TLS_IMPLICIT : pb::LISTENER_TLS_PLAIN);
  l->set_role(pb::LISTENER_ROLE_RELAY);
  l->set_service(service);
  l->set_declared_at(declared_at);
  l->set_internal(internal);
  if (internal) {
    l->set_note("internal (listeners.internal): not probed");
    return;
  }
  l->set_verdict(verdict);
  l->mutable_untrusted()->set_source_address("127.0.0.9");
  l->mutable_untrusted()->set_verdict(verdict);
  l->mutable_untrusted()->set_detail(verdict == pb::PROBE_VERDICT_RELAY_ACCEPTED
                                         ? "plain-third-party: RCPT accepted with 250 2.1.5 Ok; "
                                         : "plain-third-party: RCPT refused with 554 5.7.1; ");
}

TEST_F(ComplianceIntegrationTest, EveryListenerIsShownWithItsVerdictAndAnInconclusiveHostIsNot) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  RawAgent mx1(Address(), "mx1", "no-open-relay", 1);
  RawAgent mx2(Address(), "mx2", "no-open-relay", 1);
  ASSERT_TRUE(WaitFor([&] { return Known("mx1") && Known("mx2"); }, std::chrono::seconds(10)))
      << controller_->Log();
  pb::ComplianceReport open = Report(1, "no-open-relay", 1, "relay-open", now - 5);
  AddListener(open, "127.0.0.1:2525", "smtp", "/etc/postfix/master.cf:12",
              pb::PROBE_VERDICT_REFUSED);
  AddListener(open, "127.0.0.1:2526", "2526", "/etc/postfix/master.cf:15",
              pb::PROBE_VERDICT_RELAY_ACCEPTED);
  AddListener(open, "127.0.0.1:10025", "10025", "/etc/postfix/master.cf:20",
              pb::PROBE_VERDICT_UNSPECIFIED, /*internal=*/true);
  pb::SettingDrift* drift = open.add_settings();
  drift->set_setting("mynetworks");
  drift->set_effective("0.0.0.0/0");
  drift->set_desired("127.0.0.1/32");
  drift->set_listener("127.0.0.1:2526 (2526, /etc/postfix/master.cf:15)");
  drift->set_where("/etc/postfix/master.cf:16");
  ASSERT_TRUE(mx1.Send(open));
  EXPECT_EQ(mx1.TakeAck(), 1u);
  pb::ComplianceReport unknown = Report(1, "no-open-relay", 1, "inconclusive", now - 5);
  AddListener(unknown, "127.0.0.1:2527", "smtp", "/etc/postfix/master.cf:12",
              pb::PROBE_VERDICT_INCONCLUSIVE);
  pb::SettingDrift* unread = unknown.add_settings();
  unread->set_setting("smtpd_relay_restrictions");
  unread->set_effective("ldap:/etc/postfix/clients.cf cannot be read");
  unread->set_unproven(true);
  unread->set_where("/etc/postfix/main.cf:40");
  ASSERT_TRUE(mx2.Send(unknown));
  EXPECT_EQ(mx2.TakeAck(), 1u);

  int code = -1;
  std::string diff = Ctl({"compliance", "--diff"}, &code);
  EXPECT_EQ(code, 4) << diff;  // inconclusive is never compliant
  EXPECT_THAT(diff, HasSubstr("fleet: 0/2 hosts compliant (0.0%)"));
  EXPECT_THAT(diff, HasSubstr("   listener 127.0.0.1:2525 (smtp, /etc/postfix/master.cf:12): "
                              "refused from 127.0.0.9\n"));
  EXPECT_THAT(diff, HasSubstr("   listener 127.0.0.1:2526 (2526, /etc/postfix/master.cf:15): "
                              "relay-accepted from 127.0.0.9 (plain-third-party: RCPT accepted"));
  EXPECT_THAT(diff, HasSubstr("   listener 127.0.0.1:10025 (10025, /etc/postfix/master.cf:20, "
                              "internal): internal (listeners.internal): not probed\n"));
  EXPECT_THAT(diff, HasSubstr("   setting on listener 127.0.0.1:2526 (2526, "
                              "/etc/postfix/master.cf:15) mynetworks: 0.0.0.0/0 -> 127.0.0.1/32 "
                              "(/etc/postfix/master.cf:16)\n"));
  EXPECT_THAT(diff, HasSubstr("== mx2  inconclusive"));
  EXPECT_THAT(diff, HasSubstr("   setting smtpd_relay_restrictions: cannot be checked: "
                              "ldap:/etc/postfix/clients.cf cannot be read "
                              "(/etc/postfix/main.cf:40)\n"));
  std::string json = Ctl({"compliance", "--host", "mx1", "--json"});
  EXPECT_THAT(json, HasSubstr(R"({"address":"127.0.0.1:2526","bind":"127.0.0.1",)"
                              R"("tls":"LISTENER_TLS_PLAIN","role":"LISTENER_ROLE_RELAY",)"
                              R"("service":"2526",)"
                              R"("declared_at":"/etc/postfix/master.cf:15","internal":false,)"
                              R"("verdict":"PROBE_VERDICT_RELAY_ACCEPTED")"));
  EXPECT_THAT(json, HasSubstr(R"("internal":true,"verdict":"PROBE_VERDICT_UNSPECIFIED")"));
  EXPECT_THAT(json, HasSubstr(R"x("listener":"127.0.0.1:2526 (2526, /etc/postfix/master.cf:15)",)x"
                              R"("where":"/etc/postfix/master.cf:16","unproven":false)"));
}

TEST_F(ComplianceIntegrationTest, FailuresOverTheBudgetHoldEnforcementOnEveryAgent) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  RawAgent b1(Address(), "b1", "budget-policy", 2);
  RawAgent b2(Address(), "b2", "budget-policy", 2);
  RawAgent b3(Address(), "b3", "budget-policy", 2);
  ASSERT_TRUE(WaitFor([&] { return Known("b1") && Known("b2") && Known("b3"); },
                      std::chrono::seconds(10)));
  auto failed = [&](uint64_t seq, const std::string& enforcement) {
    pb::ComplianceReport r = Report(seq, "budget-policy", 2, "drifted", now - 10);
    r.set_mode(pb::COMPLIANCE_MODE_ENFORCE);
    r.set_enforcement(EnforcementToProto(*ParseEnforcement(enforcement)));
    r.mutable_enforce_result()->set_outcome(pb::ApplyResult::OUTCOME_ROLLED_BACK);
    r.mutable_enforce_result()->set_backup_commit("b4c4up0000000000");
    r.mutable_enforce_result()->set_result_commit("re5u1t0000000000");
    return r;
  };
  ASSERT_TRUE(b1.Send(failed(1, "rolled-back")));
  EXPECT_EQ(b1.TakeAck(), 1u);
  EXPECT_THAT(Ctl({"compliance"}), Not(HasSubstr("enforcement held")));  // within budget 1
  ASSERT_TRUE(b2.Send(failed(1, "rollback-failed")));
  EXPECT_EQ(b2.TakeAck(), 1u);
  const std::string reason = "2 hosts failed to enforce budget-policy v2 (budget 1): b1, b2";
  for (RawAgent* agent : {&b1, &b2, &b3}) {
    std::optional<pb::EnforceHold> hold = agent->TakeHold();
    ASSERT_TRUE(hold.has_value()) << controller_->Log();
    EXPECT_EQ(hold->policy_name(), "budget-policy");
    EXPECT_EQ(hold->policy_version(), 2u);
    EXPECT_EQ(hold->reason(), reason);
  }
  std::string table = Ctl({"compliance"});
  EXPECT_THAT(table, HasSubstr("enforcement held"));
  EXPECT_THAT(table, HasSubstr("budget-policy v2: " + reason));
  EXPECT_THAT(Ctl({"compliance", "--json"}),
              HasSubstr(R"("holds":["budget-policy v2: )" + reason + "\"]"));
  std::string audit = Ctl({"audit"});
  EXPECT_THAT(audit, HasSubstr("agent:b1"));
  EXPECT_THAT(audit, HasSubstr("rolled-back (backup b4c4up0000 -> result re5u1t0000)"));
  EXPECT_THAT(audit, HasSubstr("enforce hold"));

  // A third failure changes nothing; an agent on the held version hears of it at hello.
  ASSERT_TRUE(b3.Send(failed(1, "rolled-back")));
  EXPECT_EQ(b3.TakeAck(), 1u);
  // Sent before the ack, had it been sent: the ack arriving first shows there is none.
  EXPECT_FALSE(b3.TakeHold(std::chrono::seconds(1)).has_value());
  RawAgent b4(Address(), "b4", "budget-policy", 2);
  std::optional<pb::EnforceHold> at_hello = b4.TakeHold();
  ASSERT_TRUE(at_hello.has_value());
  EXPECT_EQ(at_hello->reason(), reason);
  RawAgent other(Address(), "other1", "budget-policy", 1);  // another version: not held
  ASSERT_TRUE(WaitFor([&] { return Known("other1"); }, std::chrono::seconds(10)));
  EXPECT_FALSE(other.TakeHold(std::chrono::seconds(2)).has_value());
}

}  // namespace
}  // namespace relayguard::controller
