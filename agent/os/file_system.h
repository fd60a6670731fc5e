// The file system behind a small interface, so the apply transaction can be tested with faults.
#ifndef RELAYGUARD_AGENT_OS_FILE_SYSTEM_H_
#define RELAYGUARD_AGENT_OS_FILE_SYSTEM_H_

#include <sys/types.h>

#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace relayguard::agent {

struct FileInfo {
  mode_t mode = 0;  // permission bits only (07777)
  uid_t uid = 0;
  gid_t gid = 0;
  bool is_regular = false;
  int64_t modified_at = 0;  // mtime, seconds since the epoch (Stat only; not restored)
  // WriteFileAtomic only: date the new file this many seconds before now (0: now). Postfix
  // re-reads a main.cf whose mtime is within a second of now, 300 ms at a time, in case it is
  // in the middle of being written; a file put in place by rename is never half-written.
  int64_t write_age_s = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Reads the whole file. NotFound when it does not exist; other errors name the path.
  virtual absl::StatusOr<std::string> ReadFile(const std::string& path) = 0;

  // Replaces `path` atomically: writes a temp file in the same directory, sets `info`'s mode,
  // owner (and mtime, when `info.write_age_s` asks), fsyncs, renames over `path`, fsyncs the
  // directory. On error the old file is intact. Safe to retry.
  virtual absl::Status WriteFileAtomic(const std::string& path, const std::string& contents,
                                       const FileInfo& info) = 0;

  // Mode, owner and type of `path`. NotFound when it does not exist.
  virtual absl::StatusOr<FileInfo> Stat(const std::string& path) = 0;

  // Creates `path` and missing parents (mode 0700 for new ones). OK when it exists.
  virtual absl::Status MakeDirs(const std::string& path) = 0;

  // Removes a file; OK when it does not exist.
  virtual absl::Status RemoveFile(const std::string& path) = 0;

  // Whether the current process may create files in directory `dir` (access(W_OK) and a probe
  // file, so read-only mounts are caught too).
  virtual absl::Status CheckWritableDir(const std::string& dir) = 0;

  // Sets the modification time of `path` to `age` before now. Used on staged copies only:
  // Postfix re-reads a main.cf changed within the last second until it settles (~2 s).
  virtual absl::Status Backdate(const std::string& path, std::chrono::seconds age) = 0;

  // Writes a scratch file (mode 0600, no fsync, not atomic): only for staged copies that are
  // checked and thrown away, never for live configuration or state.
  virtual absl::Status WriteScratchFile(const std::string& path, const std::string& contents) = 0;
};

// The real thing (POSIX).
class RealFileSystem : public FileSystem {
 public:
  absl::StatusOr<std::string> ReadFile(const std::string& path) override;
  absl::Status WriteFileAtomic(const std::string& path, const std::string& contents,
                               const FileInfo& info) override;
  absl::StatusOr<FileInfo> Stat(const std::string& path) override;
  absl::Status MakeDirs(const std::string& path) override;
  absl::Status RemoveFile(const std::string& path) override;
  absl::Status CheckWritableDir(const std::string& dir) override;
  absl::Status Backdate(const std::string& path, std::chrono::seconds age) override;
  absl::Status WriteScratchFile(const std::string& path, const std::string& contents) override;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_OS_FILE_SYSTEM_H_
