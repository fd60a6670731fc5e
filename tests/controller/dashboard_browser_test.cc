// The dashboard in a real browser: Debian's Chromium, driven by playwright-core
// (tests/browser/dashboard.mjs), against a real relayguard-controller serving HTTPS, with three
// real agents on real sandboxed Postfix instances opened as relays. The browser logs in, plans
// and starts a rollout and watches it live; the probes from the untrusted address are then
// refused. It rolls the rollout back with a reason: every relay accepts again, every file is
// byte-for-byte as before, and the audit log names web:USER and the reason. A viewer gets no
// write buttons and 403 from every write; writes without the CSRF token are refused; wrong
// passwords are refused and rate-limited; logout ends the session. Screenshots of every page,
// light and dark, go to BUILD/browser-screenshots.
#include <filesystem>
#include <map>
#include <memory>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "tests/support/ctl.h"
#include "tests/support/daemon.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/relay_checks.h"
#include "tests/support/wait.h"

namespace relayguard::controller {
namespace {

using ::relayguard::testing::Daemon;
using ::relayguard::testing::FreeLoopbackPort;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::WaitFor;
using ::testing::HasSubstr;
namespace agent = ::relayguard::agent;
namespace fs = std::filesystem;

const std::string kBin = RG_BINARY_DIR;
// Made up for this test run only; never printed.
constexpr char kOperatorPassword[] = "operator-pass-7261";
constexpr char kViewerPassword[] = "viewer-pass-9184";
constexpr char kReason[] = "INC-2041 partner mail bounced after the relay change";

agent::ProbeVerdict Verdict(const PostfixLab& lab) {
  return ::relayguard::testing::ProbeFrom(lab.port(), "127.0.0.9", std::chrono::seconds(3)).verdict;
}

// Every regular file under `dir`, by path relative to it, with its bytes.
std::map<std::string, std::string> FilesUnder(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = ReadFileOrDie(e.path());
  }
  return out;
}

class DashboardBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists("/usr/bin/chromium")) << "the test command installs chromium";
    ASSERT_TRUE(fs::exists(SourcePath("tests/browser/node_modules/playwright-core")))
        << "the test command runs npm ci in tests/browser";
    for (int i = 0; i < 3; ++i) {
      labs_.push_back(std::make_unique<PostfixLab>("0.0.0.0/0"));
      labs_.back()->Start();
    }
    const std::string certs = labs_[0]->dir() + "/certs";
    std::string out;
    ASSERT_EQ(RunCommand({"/bin/bash", SourcePath("deploy/make-certs.sh"), certs}, &out), 0)
        << out;
    port_ = FreeLoopbackPort();
    web_port_ = FreeLoopbackPort();
    controller_ = std::make_unique<Daemon>(
        std::vector<std::string>{kBin + "/controller/relayguard-controller", "--insecure",
                                 "--listen", "127.0.0.1:" + std::to_string(port_), "--playbooks",
                                 SourcePath("playbooks"), "--state-dir",
                                 labs_[0]->dir() + "/controller", "--web-listen",
                                 "127.0.0.1:" + std::to_string(web_port_), "--web-cert",
                                 certs + "/controller.crt", "--web-key", certs + "/controller.key"},
        labs_[0]->dir() + "/controller.log");
    for (int i = 0; i < 3; ++i) {
      agents_.push_back(std::make_unique<Daemon>(
          labs_[i]->AgentArgv({"--mta-bin-dir", "/usr/sbin", "run", "--controller",
                               "127.0.0.1:" + std::to_string(port_), "--host",
                               "mx" + std::to_string(i + 1), "--label", "site=lab",
                               "--insecure"}),
          labs_[i]->dir() + "/agent.log"));
    }
    ASSERT_TRUE(WaitFor([&] { return Online() == 3; }, std::chrono::seconds(30)))
        << Ctl({"hosts"}) << controller_->Log();
    AddUser("alice", "operator", kOperatorPassword);
    AddUser("victor", "viewer", kViewerPassword);
  }
  size_t Online() {
    std::string hosts = Ctl({"hosts"});
    size_t n = 0;
    for (size_t at = hosts.find(" online "); at != std::string::npos;
         at = hosts.find(" online ", at + 1)) {
      ++n;
    }
    return n;
  }
  std::string Ctl(const std::vector<std::string>& args, int* rc = nullptr) {
    return ::relayguard::testing::RunCtl(port_, args, rc);
  }
  void AddUser(const std::string& name, const std::string& role, const std::string& password) {
    std::string out;
    ASSERT_EQ(RunCommand({"/bin/sh", "-c",
                          "printf '%s\\n' \"$RG_PW\" | \"$0\" --controller \"$1\" --insecure "
                          "users add \"$2\" --role \"$3\" --password-stdin",
                          kBin + "/controller/relayguardctl", "127.0.0.1:" + std::to_string(port_),
                          name, role},
                         &out, {"RG_PW=" + password}),
              0)
        << out;
  }
  // Runs one step of tests/browser/dashboard.mjs; its JSON result (empty on failure, with the
  // step's output in *log).
  nlohmann::json Browser(const std::string& step, std::string* log,
                         const std::vector<std::string>& env = {}) {
    std::vector<std::string> all = {
        "RG_URL=https://127.0.0.1:" + std::to_string(web_port_),
        "RG_OPERATOR=alice",
        std::string("RG_OPERATOR_PASSWORD=") + kOperatorPassword,
        "RG_VIEWER=victor",
        std::string("RG_VIEWER_PASSWORD=") + kViewerPassword,
        "RG_POLICY=no-open-relay",
        "RG_HOSTS=mx1,mx2,mx3",
        "RG_SHOTS=" + kBin + "/browser-screenshots",
        std::string("RG_REASON=") + kReason,
    };
    all.insert(all.end(), env.begin(), env.end());
    const int rc =
        RunCommand({"/usr/bin/node", SourcePath("tests/browser/dashboard.mjs"), step}, log, all);
    if (rc != 0) return nullptr;
    for (const std::string& line : std::vector<std::string>(absl::StrSplit(*log, '\n'))) {
      if (!line.empty() && line.front() == '{') {
        return nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      }
    }
    return nullptr;
  }

  std::vector<std::unique_ptr<PostfixLab>> labs_;
  std::unique_ptr<Daemon> controller_;
  std::vector<std::unique_ptr<Daemon>> agents_;
  int port_ = 0;
  int web_port_ = 0;
};

TEST_F(DashboardBrowserTest, RolloutAndOneClickRollbackFromTheBrowserThenTheViewersLimits) {
  std::vector<std::map<std::string, std::string>> before;
  for (auto& lab : labs_) {
    ASSERT_EQ(Verdict(*lab), agent::ProbeVerdict::kRelayAccepted);
    before.push_back(FilesUnder(lab->config_dir()));
  }

  // Log in as an operator, plan, start, watch it live: every relay is closed.
  std::string log;
  nlohmann::json rollout = Browser("rollout", &log);
  ASSERT_TRUE(rollout.is_object() && rollout.contains("rollout")) << log << controller_->Log();
  const std::string id = rollout["rollout"];
  EXPECT_THAT(Ctl({"rollout", "status", id}), HasSubstr("succeeded"));
  for (auto& lab : labs_) EXPECT_EQ(Verdict(*lab), agent::ProbeVerdict::kRefused);
  for (size_t i = 0; i < labs_.size(); ++i) {
    EXPECT_NE(FilesUnder(labs_[i]->config_dir()), before[i]) << "mx" << i + 1 << " unchanged";
  }

  // Screenshots of every page, light and dark (the rollback dialog opened and closed).
  nlohmann::json shots = Browser("screenshots", &log, {"RG_ROLLOUT=" + id});
  ASSERT_TRUE(shots.is_object()) << log;
  size_t pngs = 0;
  for (const auto& e : fs::directory_iterator(kBin + "/browser-screenshots")) {
    if (e.path().extension() == ".png" && fs::file_size(e.path()) > 10000) ++pngs;
  }
  EXPECT_GE(pngs, 18u);

  // One click (and a confirmation with a reason): every host is restored.
  nlohmann::json rollback = Browser("rollback", &log, {"RG_ROLLOUT=" + id});
  ASSERT_TRUE(rollback.is_object() && rollback.contains("restored")) << log << controller_->Log();
  EXPECT_EQ(rollback["restored"].size(), 3u) << rollback.dump();
  for (size_t i = 0; i < labs_.size(); ++i) {
    EXPECT_EQ(Verdict(*labs_[i]), agent::ProbeVerdict::kRelayAccepted) << "mx" << i + 1;
    EXPECT_EQ(FilesUnder(labs_[i]->config_dir()), before[i]) << "mx" << i + 1;
  }
  // The CLI sees the same audit log: the web user and the reason, for the start and rollback.
  nlohmann::json audit = nlohmann::json::parse(Ctl({"audit", "--json"}), nullptr, false);
  ASSERT_TRUE(audit.is_object()) << Ctl({"audit", "--json"});
  bool started = false, rolled_back = false;
  for (const auto& e : audit["entries"]) {
    if (e["who"] != "web:alice") continue;
    if (e["action"] == "rollout start" && e["target"].get<std::string>().starts_with(id + " ")) {
      started = e["reason"] == kReason;
    }
    if (e["action"] == "rollback" && e["target"] == "rollout " + id && e["reason"] == kReason) {
      rolled_back = e["result"] == "ok";
    }
  }
  EXPECT_TRUE(started) << audit.dump(1);
  EXPECT_TRUE(rolled_back) << audit.dump(1);

  // Last, as its wrong passwords lock 127.0.0.1 out for a while: the viewer and the limits.
  nlohmann::json viewer = Browser("viewer", &log, {"RG_ROLLOUT=" + id});
  ASSERT_TRUE(viewer.is_object()) << log;
  EXPECT_THAT(Ctl({"audit"}), HasSubstr("web login"));
}

}  // namespace
}  // namespace relayguard::controller
