// Backups of managed MTA configuration files in a git repository (libgit2), one per host, kept
// under the agent's state dir. Every commit holds the complete set of managed files: each file's
// content under its absolute path without the leading '/', plus `.relayguard/files`, one line per
// file: "<mode octal> <uid> <gid> <present|absent> <absolute path>", so modes and owners are kept
// and a file that did not exist can be restored as absent.
#ifndef RELAYGUARD_AGENT_BACKUP_GIT_BACKUP_STORE_H_
#define RELAYGUARD_AGENT_BACKUP_GIT_BACKUP_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/os/file_system.h"

namespace relayguard::agent {

struct FileSnapshot {
  std::string path;  // absolute
  bool present = true;
  std::string contents;
  FileInfo info;
};

struct CommitInfo {
  std::string id;          // full hex id
  std::string summary;     // first line of the message
  std::string message;     // whole message
  int64_t time = 0;        // seconds since the epoch
  std::map<std::string, std::string> trailers;  // "Relayguard-Action: apply" -> {"Action","apply"}
};

class GitBackupStore {
 public:
  // Opens the repository at `repo_dir`, creating it (non-bare, HEAD on "main") when missing.
  static absl::StatusOr<std::unique_ptr<GitBackupStore>> Open(const std::string& repo_dir);
  ~GitBackupStore();

  // Commits `files` as the complete content of a new commit on HEAD (an empty change still
  // makes a commit). `trailers` are appended to `summary` as "Relayguard-<Key>: <value>" lines.
  // Returns the new commit id.
  absl::StatusOr<std::string> Commit(const std::vector<FileSnapshot>& files,
                                     const std::string& summary,
                                     const std::map<std::string, std::string>& trailers);

  // The files recorded at `revision` (full or abbreviated id, or "HEAD").
  absl::StatusOr<std::vector<FileSnapshot>> ReadCommit(const std::string& revision);

  // Full id of `revision`. NotFound when unknown or ambiguous.
  absl::StatusOr<std::string> Resolve(const std::string& revision);

  // Newest first, at most `limit`. Empty when the repository has no commits.
  absl::StatusOr<std::vector<CommitInfo>> History(size_t limit);

  // Unified diff of `revision` against its first parent (against nothing for the first commit),
  // managed files only (metadata changes shown as a mode/owner note).
  absl::StatusOr<std::string> DiffWithParent(const std::string& revision);

 private:
  struct Impl;
  explicit GitBackupStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Unified diff (3 lines of context) of one file, paths shown as a/PATH and b/PATH. Empty string
// when equal.
std::string UnifiedDiff(const std::string& path, const std::string& old_text,
                        const std::string& new_text);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_BACKUP_GIT_BACKUP_STORE_H_
