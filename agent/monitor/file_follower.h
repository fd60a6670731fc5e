// Follows a log file (/var/log/mail.log, /var/log/exim4/mainlog, Postfix's maillog_file) from
// its end, across rotations and restarts.
//
// Rotation by rename (logrotate's default, savelog): when the path names another file, the old
// descriptor is drained to its end (the MTA or syslog daemon may write to it until told to
// reopen), then the new file is read from its start.
// Rotation by copytruncate: a size below the offset read so far means the file was truncated;
// it is read again from its start. Lines written between logrotate's copy and its truncate are
// lost by copytruncate itself (they are in neither file), and lines written after the truncate
// but before the follower noticed it past the old offset may be skipped: prefer rename. When
// the follower had not read everything before the truncate, it reads the rest from the copy
// (PATH.1 or PATH-DATE with the same first line) first.
// Two rotations between two looks at the file (a follower stopped for a whole rotation period
// while running) lose the file in the middle: it is neither the open one nor the path's.
// The position (device, inode, offset, a hash of the first line) is saved in the state dir; a
// new follower resumes there, in the rotated file (PATH.1, PATH-YYYYMMDD or any file in the
// directory with the saved inode) when the file was rotated while the agent was down.
#ifndef RELAYGUARD_AGENT_MONITOR_FILE_FOLLOWER_H_
#define RELAYGUARD_AGENT_MONITOR_FILE_FOLLOWER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/monitor/file_position.h"
#include "agent/monitor/line_splitter.h"
#include "agent/monitor/log_follower.h"
#include "agent/monitor/wake_fd.h"
#include "agent/os/file_system.h"
#include "spdlog/spdlog.h"

namespace relayguard::agent {

struct FileFollowerOptions {
  std::string path;           // the log file (absolute)
  std::string position_file;  // where SavePosition writes; "" keeps no position
};

class FileFollower : public LogFollower {
 public:
  // `fs` (for the position file) must outlive the follower. Nothing is opened before Read.
  FileFollower(FileFollowerOptions options, FileSystem& fs);
  ~FileFollower() override;
  FileFollower(const FileFollower&) = delete;
  FileFollower& operator=(const FileFollower&) = delete;

  // The first call loads the saved position (a missing or unreadable one: start at the end of
  // the file). Unavailable while the file does not exist (warned once in the log); the file is
  // then read from its start once it appears.
  absl::Status Read(std::vector<LogEntry>& out, size_t max) override;
  // inotify on the file's directory; without inotify, returns after at most 1 s so that Read
  // looks at the file again.
  void Wait(std::chrono::milliseconds timeout) override;
  void Wake() override { wake_.Signal(); }
  absl::Status SavePosition() override;
  std::string Describe() const override { return "file " + options_.path; }

 private:
  void Start();
  void Resume(const FilePosition& saved);
  int OpenRotated(const FilePosition& saved);
  absl::Status OpenPath();
  void Adopt(int fd, uint64_t offset);
  void CloseFd();
  bool ContinueAfterEof();
  bool WasTruncatedAndRegrown();
  void FollowTruncation();
  bool WatchedEventArrived();

  FileFollowerOptions options_;
  FileSystem& fs_;
  std::shared_ptr<spdlog::logger> log_;
  std::string dir_, base_;
  bool started_ = false;
  bool open_at_end_ = false;  // the next open of the path starts at its end (first start only)
  bool warned_missing_ = false;
  int fd_ = -1;
  uint64_t device_ = 0, inode_ = 0;
  uint64_t offset_ = 0;       // just after the last line handed out
  uint64_t read_offset_ = 0;  // what was read from fd_ so far
  bool rotated_ = false;      // fd_ is no longer the path's file: drain it, then open the path
  std::optional<uint64_t> first_line_hash_;  // of fd_'s file, once it has a first line
  LineSplitter splitter_;
  std::vector<char> chunk_;
  int inotify_fd_ = -1;
  int watch_ = -1;
  WakeFd wake_;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MONITOR_FILE_FOLLOWER_H_
