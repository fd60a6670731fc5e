// The crash matrix (issue 17): the real agent SIGKILLed at every fault point of apply, of the
// restore after a failed apply, of the recovery at the next start, of rollback and of an
// enforcing compliance check (agent/apply/fault_points.h), on real Postfix, Exim and Sendmail in
// the sandbox. After every kill the next start of the normal agent must put the files back byte
// for byte, the MTA must answer as before, and the backup repository's newest commit must say
// what was interrupted and that it was recovered. Each MTA's test prints (and writes under the
// build dir, crash-matrix/) how many kills it survived.
//
// Also the state dir's own faults: full (ENOSPC, a small tmpfs mounted in the sandbox's private
// mount namespace), read-only, a corrupted journal, a backup repository with a missing object:
// each a clear error naming what and where, and nothing half-applied.
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/backup/git_backup_store.h"
#include "agent/probe/relay_probe.h"
#include "tests/support/mta_lab.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/relay_checks.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::EximLab;
using ::relayguard::testing::MtaLab;
using ::relayguard::testing::PausingAgentArgv;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::SendmailLab;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::WriteFileOrDie;
using ::testing::HasSubstr;
using Files = std::map<std::string, std::string>;

const std::string kPolicy = SourcePath("tests/data/apply/close.yaml");

// One lab, whichever MTA: what the matrix needs of it.
class CrashLab {
 public:
  virtual ~CrashLab() = default;
  virtual std::string mta() const = 0;
  virtual std::vector<std::string> AgentArgv(const std::vector<std::string>& args) const = 0;
  virtual std::vector<std::string> managed_files() const = 0;
  virtual std::string dir() const = 0;
  virtual std::string state_dir() const = 0;
  virtual int port() const = 0;
  virtual void Stop() = 0;

  Files Snapshot() const {
    Files files;
    for (const std::string& path : managed_files()) files[path] = ReadFileOrDie(path);
    return files;
  }
  int Agent(const std::vector<std::string>& args, std::string* out) const {
    return RunCommand(AgentArgv(args), out);
  }
};

class PostfixCrashLab : public CrashLab {
 public:
  PostfixCrashLab() { lab_.Start(); }
  std::string mta() const override { return "postfix"; }
  std::vector<std::string> AgentArgv(const std::vector<std::string>& args) const override {
    return lab_.AgentArgv(args);
  }
  std::vector<std::string> managed_files() const override {
    return {lab_.main_cf(), lab_.master_cf()};
  }
  std::string dir() const override { return lab_.dir(); }
  std::string state_dir() const override { return lab_.state_dir(); }
  int port() const override { return lab_.port(); }
  void Stop() override { lab_.Stop(); }

 private:
  PostfixLab lab_{"0.0.0.0/0"};
};

template <typename Lab>
class MtaCrashLab : public CrashLab {
 public:
  MtaCrashLab() { lab_.Start(); }
  std::string mta() const override { return lab_.kind(); }
  std::vector<std::string> AgentArgv(const std::vector<std::string>& args) const override {
    return lab_.AgentArgv(args);
  }
  std::vector<std::string> managed_files() const override { return lab_.managed_files(); }
  std::string dir() const override { return lab_.dir(); }
  std::string state_dir() const override { return lab_.state_dir(); }
  int port() const override { return lab_.port(); }
  void Stop() override { lab_.Stop(); }

 private:
  Lab lab_;
};

// relayguard-agent-pausing running `args`, paused at the fault points `points` in turn.
class PausedAgent {
 public:
  PausedAgent(const CrashLab& lab, const std::vector<std::string>& args,
              const std::vector<std::string>& points, const std::string& log)
      : log_(log) {
    WriteFileOrDie(log_, "");  // there before the child writes it
    std::vector<std::string> argv =
        PausingAgentArgv(lab.AgentArgv(args), absl::StrJoin(points, ","));
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> raw;
      for (std::string& a : argv) raw.push_back(a.data());
      raw.push_back(nullptr);
      execv(raw[0], raw.data());
      _exit(127);
    }
  }
  ~PausedAgent() {
    if (pid_ > 0) Kill();
  }
  // Waits (up to 60 s) until the agent says it paused at `point`; false when it ended first.
  bool WaitPaused(const std::string& point) {
    const std::string said = "paused at " + point + " (";
    for (int i = 0; i < 1200; ++i) {
      if (Log().find(said) != std::string::npos) return true;
      if (waitpid(pid_, &status_, WNOHANG) == pid_) {
        pid_ = -1;
        return Log().find(said) != std::string::npos;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void Resume() { kill(pid_, SIGUSR1); }
  // SIGKILL; true when the signal is what ended it.
  bool Kill() {
    if (pid_ <= 0) return false;
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
    pid_ = -1;
    return WIFSIGNALED(status_) && WTERMSIG(status_) == SIGKILL;
  }
  // Waits for it to end on its own; its exit code.
  int Wait() {
    waitpid(pid_, &status_, 0);
    pid_ = -1;
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }
  std::string Log() const { return ReadFileOrDie(log_); }

 private:
  std::string log_;
  pid_t pid_ = -1;
  int status_ = 0;
};

// What the next start must leave behind.
struct Expected {
  Files files;
  ProbeVerdict verdict;            // from the untrusted 127.0.0.9
  std::string interrupted_action;  // the recovery commit's trailers
  std::string interrupted_phase;
};

// One cell of the matrix: `args` run by the pausing agent, which stops at each of `points` in
// turn; at every one but the last `between` runs and the agent resumes; at the last it is
// SIGKILLed. With `recovery_point`, the next start is killed too, there. Then the normal agent
// starts, and must leave `want`.
struct Kill {
  std::vector<std::string> args;
  std::vector<std::string> points;
  std::function<void()> between = nullptr;
  std::string recovery_point = "";
};

class CrashMatrix {
 public:
  explicit CrashMatrix(CrashLab& lab) : lab_(lab) {}

  // Runs one kill; false (with the failures recorded) unless everything came back as `want`.
  bool Survives(const Kill& k, const Expected& want) {
    ++kills_;
    const std::string where = absl::StrCat(lab_.mta(), " ", absl::StrJoin(k.args, " "), " at ",
                                           absl::StrJoin(k.points, ","),
                                           k.recovery_point.empty() ? "" : " then ",
                                           k.recovery_point);
    SCOPED_TRACE(where);
    const int failures_before = Failures();
    // Every cell starts from the state it must end in: a cell that failed must not make the
    // next ones fail for its sake.
    if (lab_.Snapshot() != want.files) {
      ADD_FAILURE() << "the managed files are not in the cell's starting state (an earlier cell "
                       "left them changed); not run";
      return false;
    }
    const std::string log = absl::StrCat(lab_.dir(), "/kill-", kills_, ".log");
    {
      PausedAgent agent(lab_, k.args, k.points, log);
      for (size_t i = 0; i < k.points.size(); ++i) {
        if (!agent.WaitPaused(k.points[i])) {
          ADD_FAILURE() << "never paused at " << k.points[i] << ":\n" << agent.Log();
          return false;
        }
        if (i + 1 == k.points.size()) break;
        if (k.between) k.between();
        agent.Resume();
      }
      EXPECT_TRUE(agent.Kill()) << "not killed at " << k.points.back();
    }
    EXPECT_TRUE(std::filesystem::exists(lab_.state_dir() + "/journal"))
        << "a change in flight has a journal";
    if (!k.recovery_point.empty()) {
      PausedAgent recovery(lab_, {"history"}, {k.recovery_point}, log + ".recovery");
      if (!recovery.WaitPaused(k.recovery_point)) {
        ADD_FAILURE() << "the recovery never paused at " << k.recovery_point << ":\n"
                      << recovery.Log();
        return false;
      }
      EXPECT_TRUE(recovery.Kill());
    }
    std::string out;
    EXPECT_EQ(lab_.Agent({"history"}, &out), 0) << out;
    EXPECT_THAT(out, HasSubstr("RECOVERED")) << out;
    Files now = lab_.Snapshot();
    for (const auto& [path, contents] : want.files) {
      EXPECT_TRUE(now[path] == contents) << path << " is not byte for byte as before:\n"
                                         << now[path];
    }
    EXPECT_FALSE(std::filesystem::exists(lab_.state_dir() + "/journal"));
    EXPECT_EQ(::relayguard::testing::VerdictFrom(lab_.port(), "127.0.0.9", want.verdict),
              want.verdict)
        << "the MTA does not answer as before";
    std::vector<CommitInfo> history = ::relayguard::testing::BackupHistory(lab_.state_dir());
    if (history.empty()) {
      ADD_FAILURE() << "no backup history";
    } else {
      std::map<std::string, std::string>& t = history[0].trailers;
      EXPECT_EQ(t["Action"], "recovery") << history[0].message;
      EXPECT_EQ(t["Outcome"], "restored") << history[0].message;
      EXPECT_EQ(t["InterruptedAction"], want.interrupted_action) << history[0].message;
      EXPECT_EQ(t["InterruptedPhase"], want.interrupted_phase) << history[0].message;
      EXPECT_THAT(history[0].summary, HasSubstr("Recovered after interrupted"));
    }
    const bool survived = Failures() == failures_before;
    survived_ += survived ? 1 : 0;
    return survived;
  }

  // Prints the figure and keeps it under the build dir (the test command shows it).
  void Report() {
    const std::string line = absl::StrCat("crash matrix: ", lab_.mta(), " ", survived_, "/",
                                          kills_, " kills survived");
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    const std::string dir = std::string(RG_BINARY_DIR) + "/crash-matrix";
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/" + lab_.mta() + ".txt") << line << "\n";
  }
  int kills() const { return kills_; }
  int survived() const { return survived_; }

 private:
  static int Failures() {
    const ::testing::TestResult* r =
        ::testing::UnitTest::GetInstance()->current_test_info()->result();
    int failed = 0;
    for (int i = 0; i < r->total_part_count(); ++i) failed += r->GetTestPartResult(i).failed();
    return failed;
  }
  CrashLab& lab_;
  int kills_ = 0;
  int survived_ = 0;
};

// How many managed files `args` (an apply) changes: the files in its dry-run diff.
int FilesChanged(const CrashLab& lab, const std::string& policy) {
  std::string out;
  EXPECT_EQ(lab.Agent({"apply", "--policy", policy, "--dry-run"}, &out), 0) << out;
  int files = 0;  // the human report indents the diff with "  | "
  for (size_t at = out.find("| +++ "); at != std::string::npos; at = out.find("| +++ ", at + 1)) {
    ++files;
  }
  return files;
}

std::vector<std::string> WritePoints(const std::string& step, int files) {
  std::vector<std::string> points;
  for (int i = 1; i <= files; ++i) points.push_back(absl::StrCat(step, "after-write:", i));
  return points;
}

// The whole matrix on one lab: apply, restore, recovery, enforcement, then rollback.
void RunMatrix(CrashLab& lab) {
  CrashMatrix matrix(lab);
  const Files open = lab.Snapshot();
  const int files = FilesChanged(lab, kPolicy);
  ASSERT_GE(files, 1);
  std::printf("%s: the closing policy changes %d file(s)\n", lab.mta().c_str(), files);
  const std::vector<std::string> apply = {"apply", "--policy", kPolicy};

  // Apply, killed at each point of the change.
  std::vector<std::pair<std::string, std::string>> change = {{"after-backup", "activate"}};
  for (const std::string& p : WritePoints("", files)) change.push_back({p, "activate"});
  change.push_back({"after-activate", "activate"});
  change.push_back({"after-reload", "reload"});
  change.push_back({"during-verify", "verify"});
  for (const auto& [point, phase] : change) {
    matrix.Survives({apply, {point}}, {open, ProbeVerdict::kRelayAccepted, "apply", phase});
  }

  // The restore after a failed apply, killed at each of its points: the MTA stopped while the
  // agent waits after reloading, so the verification fails (nothing answers) and the restore
  // starts it again. (Not after activating: Sendmail's apply restarts the daemon, which starts
  // a stopped one, and the apply succeeds.)
  std::vector<std::string> restore = WritePoints("restore:", files);
  for (const char* p : {"restore:after-activate", "restore:after-reload",
                        "restore:during-verify"}) {
    restore.push_back(p);
  }
  for (const std::string& point : restore) {
    matrix.Survives({apply, {"after-reload", point}, [&lab] { lab.Stop(); }},
                    {open, ProbeVerdict::kRelayAccepted, "apply", "restore"});
  }

  // The recovery at the next start, killed at each of its points: the start after that
  // recovers again.
  std::vector<std::string> recovery = WritePoints("recovery:", files);
  for (const char* p : {"recovery:after-activate", "recovery:after-reload",
                        "recovery:during-verify"}) {
    recovery.push_back(p);
  }
  for (const std::string& point : recovery) {
    matrix.Survives({apply, {"after-activate"}, nullptr, point},
                    {open, ProbeVerdict::kRelayAccepted, "apply", "activate"});
  }

  // An enforcing compliance check finds the open relay and applies the policy: killed there.
  const std::string enforce = lab.dir() + "/enforce.yaml";
  WriteFileOrDie(enforce, ReadFileOrDie(kPolicy) +
                              "compliance:\n  schedule: \"@hourly\"\n  mode: enforce\n");
  for (const auto& [point, phase] : std::vector<std::pair<std::string, std::string>>{
           {"after-backup", "activate"},
           {"after-activate", "activate"},
           {"after-reload", "reload"},
           {"during-verify", "verify"}}) {
    matrix.Survives({{"check", "--policy", enforce}, {point}},
                    {open, ProbeVerdict::kRelayAccepted, "apply", phase});
  }

  // Rollback of a real apply, killed at each point: the next start puts the applied (closed)
  // files back.
  std::string out;
  ASSERT_EQ(lab.Agent(apply, &out), 0) << out;
  const Files closed = lab.Snapshot();
  ASSERT_NE(closed, open);
  for (const auto& [point, phase] : change) {
    matrix.Survives({{"rollback"}, {point}},
                    {closed, ProbeVerdict::kRefused, "rollback", phase});
  }
  // And the rollback still works after all that.
  ASSERT_EQ(lab.Agent({"rollback"}, &out), 0) << out;
  EXPECT_EQ(lab.Snapshot(), open);

  matrix.Report();
  EXPECT_EQ(matrix.survived(), matrix.kills());
}

TEST(CrashMatrixTest, Postfix) {
  PostfixCrashLab lab;
  RunMatrix(lab);
}

TEST(CrashMatrixTest, Exim) {
  MtaCrashLab<EximLab> lab;
  RunMatrix(lab);
}

TEST(CrashMatrixTest, Sendmail) {
  MtaCrashLab<SendmailLab> lab;
  RunMatrix(lab);
}

// --- The state dir's own faults (on Postfix: they do not depend on the MTA). ---

class StateDirFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(std::getenv("RELAYGUARD_IN_MTA_SANDBOX"), nullptr)
        << "mounts need the sandbox's private mount namespace (tests/support/mta_sandbox.sh)";
    original_ = lab_.Snapshot();
  }
  void TearDown() override {
    for (auto it = mounts_.rbegin(); it != mounts_.rend(); ++it) umount2(it->c_str(), MNT_DETACH);
  }
  void ExpectFilesUntouched() { EXPECT_EQ(lab_.Snapshot(), original_); }
  void ExpectRelayStillOpen() {
    EXPECT_EQ(::relayguard::testing::VerdictFrom(lab_.port(), "127.0.0.9",
                                                 ProbeVerdict::kRelayAccepted),
              ProbeVerdict::kRelayAccepted);
  }
  // Fills the file system of `dir` with `dir`/filler until ENOSPC.
  static void Fill(const std::string& dir) {
    int fd = open((dir + "/filler").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ASSERT_GE(fd, 0);
    const std::string block(4096, 'x');
    while (write(fd, block.data(), block.size()) > 0) {
    }
    const std::string byte = "x";
    while (write(fd, byte.data(), 1) > 0) {
    }
    close(fd);
  }
  PostfixCrashLab lab_;
  Files original_;
  std::vector<std::string> mounts_;
};

TEST_F(StateDirFaultTest, AFullStateDirRefusesBeforeAnythingChangesOrRestoresMidChange) {
  const std::string state = lab_.state_dir();
  std::filesystem::create_directories(state);
  ASSERT_EQ(mount("rg-state", state.c_str(), "tmpfs", 0, "size=512k,mode=0700"), 0)
      << std::strerror(errno);
  mounts_.push_back(state);
  std::string out;
  ASSERT_EQ(lab_.Agent({"history"}, &out), 0) << out;  // the backup repository exists

  // Full before the apply: refused, naming the state dir and the reason.
  Fill(state);
  int rc = lab_.Agent({"apply", "--policy", kPolicy}, &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("No space left on device"));
  EXPECT_THAT(out, HasSubstr(state));
  EXPECT_THAT(out, HasSubstr("nothing was changed"));
  ExpectFilesUntouched();
  EXPECT_FALSE(std::filesystem::exists(state + "/journal"));
  ExpectRelayStillOpen();

  // Full while the new files are live (after the backup and the journal were written): the
  // journal cannot be advanced, the change is rolled back, every file restored.
  std::filesystem::remove(state + "/filler");
  PausedAgent agent(lab_, {"apply", "--policy", kPolicy}, {"after-activate"},
                    lab_.dir() + "/enospc.log");
  ASSERT_TRUE(agent.WaitPaused("after-activate")) << agent.Log();
  Fill(state);
  agent.Resume();
  rc = agent.Wait();
  EXPECT_EQ(rc, 3) << agent.Log();
  EXPECT_THAT(agent.Log(), HasSubstr("ROLLED BACK"));
  EXPECT_THAT(agent.Log(), HasSubstr("No space left on device"));
  EXPECT_THAT(agent.Log(), HasSubstr(state + "/journal"));
  ExpectFilesUntouched();
  EXPECT_FALSE(std::filesystem::exists(state + "/journal"));
  ExpectRelayStillOpen();

  // With space again the same apply goes through: nothing was left half-done in the state dir.
  std::filesystem::remove(state + "/filler");
  rc = lab_.Agent({"apply", "--policy", kPolicy}, &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("APPLIED"));
}

TEST_F(StateDirFaultTest, AReadOnlyStateDirIsRefusedNamingIt) {
  const std::string state = lab_.state_dir();
  std::string out;
  ASSERT_EQ(lab_.Agent({"history"}, &out), 0) << out;
  ASSERT_EQ(mount(state.c_str(), state.c_str(), nullptr, MS_BIND, nullptr), 0)
      << std::strerror(errno);
  mounts_.push_back(state);
  ASSERT_EQ(mount(nullptr, state.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr), 0)
      << std::strerror(errno);
  int rc = lab_.Agent({"apply", "--policy", kPolicy}, &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("Read-only file system"));
  EXPECT_THAT(out, HasSubstr(state));
  EXPECT_THAT(out, HasSubstr("nothing was changed"));
  ExpectFilesUntouched();
  ExpectRelayStillOpen();
}

// A journal that cannot be read (a disk error while a change was in flight): no apply goes on
// top of it; `rollback --to` the backup puts the files back and the journal goes.
TEST_F(StateDirFaultTest, ACorruptedJournalStopsAppliesUntilRollbackToPutsAKnownStateBack) {
  const std::string journal = lab_.state_dir() + "/journal";
  {
    PausedAgent agent(lab_, {"apply", "--policy", kPolicy}, {"after-activate"},
                      lab_.dir() + "/journal.log");
    ASSERT_TRUE(agent.WaitPaused("after-activate")) << agent.Log();
    ASSERT_TRUE(agent.Kill());
  }
  const Files half = lab_.Snapshot();
  ASSERT_NE(half, original_);
  // Torn and garbled: a line no journal has, with a NUL and bytes that are not UTF-8.
  WriteFileOrDie(journal, std::string("action=apply\nph\xff\xfe\0se=acti", 25));

  std::string out;
  int rc = lab_.Agent({"apply", "--policy", kPolicy}, &out);
  EXPECT_EQ(rc, 5) << out;
  EXPECT_THAT(out, HasSubstr(journal));
  EXPECT_THAT(out, HasSubstr("not understood"));
  EXPECT_THAT(out, HasSubstr("refusing to apply"));
  EXPECT_THAT(out, HasSubstr("rollback --to"));
  EXPECT_EQ(lab_.Snapshot(), half) << "the refused apply touched the files";
  EXPECT_TRUE(std::filesystem::exists(journal));

  std::vector<CommitInfo> history = ::relayguard::testing::BackupHistory(lab_.state_dir());
  ASSERT_FALSE(history.empty());
  ASSERT_THAT(history[0].summary, HasSubstr("Backup before applying"));
  rc = lab_.Agent({"rollback", "--to", history[0].id.substr(0, 12)}, &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("ROLLED BACK to"));
  ExpectFilesUntouched();
  EXPECT_FALSE(std::filesystem::exists(journal));
  ExpectRelayStillOpen();
  rc = lab_.Agent({"apply", "--policy", kPolicy}, &out);
  EXPECT_EQ(rc, 0) << out;
}

// An object deleted from the backup repository: what needs it is refused naming the file and
// the repository, and nothing is changed.
TEST_F(StateDirFaultTest, ABackupRepositoryWithAMissingObjectIsRefusedNamingIt) {
  const std::string repo = lab_.state_dir() + "/backup";
  std::string out;
  ASSERT_EQ(lab_.Agent({"apply", "--policy", kPolicy}, &out), 0) << out;
  const Files closed = lab_.Snapshot();
  std::vector<CommitInfo> history = ::relayguard::testing::BackupHistory(lab_.state_dir());
  ASSERT_EQ(history.size(), 2u);
  auto object_file = [&](std::string id) {
    id = id.substr(0, 40);
    return repo + "/.git/objects/" + id.substr(0, 2) + "/" + id.substr(2);
  };
  auto rev_parse = [&](const std::string& what) {
    std::string id;
    EXPECT_EQ(RunCommand({"/usr/bin/git", "-C", repo, "rev-parse", what}, &id), 0) << id;
    return id.substr(0, 40);
  };

  // The blob of main.cf in the backup the rollback would restore.
  const std::string main_cf = lab_.managed_files()[0];
  const std::string blob = object_file(rev_parse(history[1].id + ":" + main_cf.substr(1)));
  const std::string kept = lab_.dir() + "/kept-object";
  std::filesystem::copy_file(blob, kept);
  ASSERT_TRUE(std::filesystem::remove(blob));
  int rc = lab_.Agent({"rollback"}, &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr(main_cf.substr(1)));
  EXPECT_THAT(out, HasSubstr(repo));
  EXPECT_THAT(out, HasSubstr("nothing was changed"));
  EXPECT_EQ(lab_.Snapshot(), closed);
  std::filesystem::copy_file(kept, blob);
  std::filesystem::remove(kept);

  // HEAD's own commit: the rollback cannot take its backup, and says the repository is damaged.
  const std::string head = object_file(history[0].id);
  ASSERT_TRUE(std::filesystem::remove(head));
  rc = lab_.Agent({"rollback", "--to", history[1].id}, &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("backup repository " + repo + " is damaged"));
  EXPECT_THAT(out, HasSubstr("nothing was changed"));
  EXPECT_EQ(lab_.Snapshot(), closed);
  EXPECT_EQ(::relayguard::testing::VerdictFrom(lab_.port(), "127.0.0.9", ProbeVerdict::kRefused),
            ProbeVerdict::kRefused);
}

}  // namespace
}  // namespace relayguard::agent
