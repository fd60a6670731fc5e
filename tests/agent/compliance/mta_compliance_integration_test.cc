// `relayguard-agent check` (one scheduled compliance check, run now) on real Exim and real
// Sendmail in the sandbox (tests/support/mta_sandbox.sh): after relayguard closed the relay, an
// admin puts the old open configuration back by hand and restarts the daemon. The check finds the
// open relay from 127.0.0.9, the effective settings that differ and the files changed since the
// last backup; audit leaves them, enforce closes the relay again and records both commits.
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/backup/git_backup_store.h"
#include "agent/probe/relay_probe.h"
#include "tests/support/mta_lab.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/relay_checks.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::EximLab;
using ::relayguard::testing::MtaLab;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::SendmailLab;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::WriteFileOrDie;
using ::testing::HasSubstr;
using ::testing::Not;

ProbeVerdict VerdictFrom(const MtaLab& lab, ProbeVerdict want) {
  return ::relayguard::testing::VerdictFrom(lab.port(), "127.0.0.9", want);
}

std::map<std::string, std::string> Snapshot(const MtaLab& lab) {
  return ::relayguard::testing::ManagedFiles(lab);
}

template <typename Lab>
class MtaComplianceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_.Start();
    open_ = Snapshot(lab_);
    const std::string close = ReadFileOrDie(SourcePath("tests/data/apply/close.yaml"));
    audit_ = lab_.dir() + "/audit.yaml";
    enforce_ = lab_.dir() + "/enforce.yaml";
    WriteFileOrDie(audit_, close + "compliance:\n  schedule: \"@hourly\"\n  mode: audit\n");
    WriteFileOrDie(enforce_, close + "compliance:\n  schedule: \"@hourly\"\n  mode: enforce\n");
    std::string out;
    ASSERT_EQ(lab_.Agent({"apply", "--policy", audit_}, &out), 0) << out;
    ASSERT_EQ(VerdictFrom(lab_, ProbeVerdict::kRefused), ProbeVerdict::kRefused);
  }
  // The admin's hand edit: the open configuration back, daemon restarted.
  void ReopenByHand() {
    for (const auto& [path, contents] : open_) WriteFileOrDie(path, contents);
    lab_.Stop();
    lab_.Start();
    ASSERT_EQ(VerdictFrom(lab_, ProbeVerdict::kRelayAccepted), ProbeVerdict::kRelayAccepted);
  }
  Lab lab_;
  std::map<std::string, std::string> open_;
  std::string audit_, enforce_;
};

using Labs = ::testing::Types<EximLab, SendmailLab>;
class LabNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, EximLab> ? "Exim" : "Sendmail";
  }
};
TYPED_TEST_SUITE(MtaComplianceTest, Labs, LabNames);

TYPED_TEST(MtaComplianceTest, AClosedHostIsCompliant) {
  std::string out;
  int rc = this->lab_.Agent({"--json", "check", "--policy", this->audit_}, &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"status\":\"compliant\""));
  EXPECT_THAT(out, HasSubstr("\"changed_files\":[]"));
  EXPECT_THAT(out, HasSubstr("\"settings\":[]"));
}

TYPED_TEST(MtaComplianceTest, AuditFindsTheReopenedRelayWithItsSettingsAndDiff) {
  this->ReopenByHand();
  std::string out;
  int rc = this->lab_.Agent({"--json", "check", "--policy", this->audit_}, &out);
  EXPECT_EQ(rc, 4) << out;
  EXPECT_THAT(out, HasSubstr("\"status\":\"relay-open\""));
  EXPECT_THAT(out, HasSubstr("\"setting\":"));  // the effective settings that differ
  EXPECT_THAT(out, Not(HasSubstr("\"settings\":[]")));
  EXPECT_THAT(out, HasSubstr("\"path\":\"" + this->lab_.managed_files()[0]));
  EXPECT_THAT(out, HasSubstr("\"enforcement\":\"\""));
  EXPECT_EQ(Snapshot(this->lab_), this->open_);  // audit touches nothing
  EXPECT_EQ(VerdictFrom(this->lab_, ProbeVerdict::kRelayAccepted), ProbeVerdict::kRelayAccepted);
}

TYPED_TEST(MtaComplianceTest, EnforceClosesItAgainAndRecordsBothCommits) {
  this->ReopenByHand();
  const size_t commits = ::relayguard::testing::BackupHistory(this->lab_.state_dir()).size();
  std::string out;
  int rc = this->lab_.Agent({"--json", "check", "--policy", this->enforce_}, &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"enforcement\":\"applied\""));
  EXPECT_THAT(out, HasSubstr("\"status\":\"compliant\""));
  EXPECT_EQ(VerdictFrom(this->lab_, ProbeVerdict::kRefused), ProbeVerdict::kRefused);
  std::vector<CommitInfo> history = ::relayguard::testing::BackupHistory(this->lab_.state_dir());
  ASSERT_EQ(history.size(), commits + 2);
  // Newest first: the result, then the backup of the hand-edited (open) files.
  EXPECT_THAT(out, HasSubstr("\"backup_commit\":\"" + history[1].id + "\""));
  EXPECT_THAT(out, HasSubstr("\"result_commit\":\"" + history[0].id + "\""));
  std::unique_ptr<GitBackupStore> store =
      std::move(GitBackupStore::Open(this->lab_.state_dir() + "/backup")).value();
  std::vector<FileSnapshot> backup = *store->ReadCommit(history[1].id);
  for (const FileSnapshot& f : backup) {
    if (this->open_.count(f.path)) {
      EXPECT_EQ(f.contents, this->open_[f.path]) << f.path;
    }
  }
  // Checked again: compliant, nothing changed since the enforcement's commit.
  rc = this->lab_.Agent({"--json", "check", "--policy", this->enforce_}, &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"changed_files\":[]"));
}

}  // namespace
}  // namespace relayguard::agent
