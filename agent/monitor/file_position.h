// Where a FileFollower stopped in a log file, as persisted in the state dir: which file (device,
// inode and a hash of its first line: an inode number is reused once the file is gone) and the
// offset just after the last line handed out.
#ifndef RELAYGUARD_AGENT_MONITOR_FILE_POSITION_H_
#define RELAYGUARD_AGENT_MONITOR_FILE_POSITION_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace relayguard::agent {

struct FilePosition {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t offset = 0;
  // FNV-1a of the first line (at most kFirstLineHashBytes of it); none while the file has no
  // complete first line yet.
  std::optional<uint64_t> first_line_hash;
};

inline constexpr size_t kFirstLineHashBytes = 4096;

// The text of the position file ("relayguard-log-position 1", then "key value" lines).
std::string EncodeFilePosition(const std::string& log_path, const FilePosition& position);

// Parses EncodeFilePosition's text; errors name `file` and the line ("FILE:3: ...").
absl::StatusOr<FilePosition> ParseFilePosition(const std::string& text, const std::string& file);

// The first-line hash of the file open as `fd` (pread, the file offset is untouched); none when
// the file has no newline within its first kFirstLineHashBytes and is shorter than that.
std::optional<uint64_t> FirstLineHash(int fd);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MONITOR_FILE_POSITION_H_
