// Test support for agent/stream: a PushHandler over a real ApplyTransaction with a fake MTA
// (two files reading "open\n" until a policy closes them), scripted probe verdicts, a real temp
// dir and a real git backup repository.
#ifndef RELAYGUARD_TESTS_AGENT_STREAM_PUSH_HANDLER_PARTS_H_
#define RELAYGUARD_TESTS_AGENT_STREAM_PUSH_HANDLER_PARTS_H_

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "agent/apply/journal.h"
#include "agent/backup/git_backup_store.h"
#include "agent/os/file_system.h"
#include "agent/stream/push_handler.h"
#include "tests/support/apply_fakes.h"

namespace relayguard::agent {

// The playbook no-open-relay v`version`.
inline std::string TestPlaybook(uint64_t version) {
  return "name: no-open-relay\nversion: " + std::to_string(version) +
         "\nrelay:\n  trusted_networks: [127.0.0.1/32]\n";
}

class PushHandlerParts {
 public:
  PushHandlerParts() {
    char tmpl[] = "/tmp/rg-push-handler.XXXXXX";
    EXPECT_NE(mkdtemp(tmpl), nullptr);
    root = tmpl;
    std::filesystem::create_directories(root + "/etc");
    std::filesystem::create_directories(root + "/state");
    for (const char* name : {"a.cf", "b.cf"}) WriteLive(name, "open\n");
    store = std::move(GitBackupStore::Open(root + "/state/backup")).value();
    driver = std::make_unique<FakeDriver>(root + "/etc");
    journal = std::make_unique<Journal>(fs, root + "/state/journal");
    transaction = std::make_unique<ApplyTransaction>(
        TransactionDeps{*driver, fs, *store, *journal, checker, clock, root + "/state/stage",
                        faults});
    handler = std::make_unique<PushHandler>(*transaction, fs, root + "/state/policy.yaml");
  }
  ~PushHandlerParts() { std::filesystem::remove_all(root); }
  void WriteLive(const std::string& name, const std::string& text) {
    EXPECT_TRUE(
        fs.WriteFileAtomic(root + "/etc/" + name, text, FileInfo{0640, getuid(), getgid(), true})
            .ok());
  }
  std::string Live(const std::string& name = "a.cf") { return *fs.ReadFile(root + "/etc/" + name); }

  std::string root;
  RealFileSystem fs;
  std::unique_ptr<GitBackupStore> store;
  std::unique_ptr<FakeDriver> driver;
  std::unique_ptr<Journal> journal;
  ScriptedChecker checker;
  FakeClock clock;  // the transaction's probes settle without sleeping
  NoFaultPoints faults;
  std::unique_ptr<ApplyTransaction> transaction;
  std::unique_ptr<PushHandler> handler;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_TESTS_AGENT_STREAM_PUSH_HANDLER_PARTS_H_
