#include "agent/monitor/file_follower.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace relayguard::agent {
namespace {

constexpr size_t kChunk = 64 * 1024;
constexpr std::chrono::milliseconds kStatInterval{1000};  // without inotify

std::string Errno(int err) { return std::strerror(err); }

// Where the last complete line of `fd` ends: the first start begins there, so that a line being
// written is read whole once its newline arrives.
uint64_t EndOfLastLine(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0 || st.st_size == 0) return 0;
  uint64_t size = st.st_size;
  uint64_t window = std::min<uint64_t>(size, kChunk);
  std::string tail(window, '\0');
  ssize_t n = pread(fd, tail.data(), window, size - window);
  if (n != static_cast<ssize_t>(window)) return size;
  size_t nl = tail.rfind('\n');
  return nl == std::string::npos ? size : size - window + nl + 1;
}

bool IsCompressed(const std::string& name) {
  for (const char* ext : {".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z"}) {
    if (absl::EndsWith(name, ext)) return true;
  }
  return false;
}

}  // namespace

FileFollower::FileFollower(FileFollowerOptions options, FileSystem& fs)
    : options_(std::move(options)), fs_(fs), log_(Logger("agent.monitor")), chunk_(kChunk) {
  size_t slash = options_.path.rfind('/');
  dir_ = slash == std::string::npos ? "." : (slash == 0 ? "/" : options_.path.substr(0, slash));
  base_ = options_.path.substr(slash == std::string::npos ? 0 : slash + 1);
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) {
    log_->warn("{}: no inotify ({}); looking at the file every second", Describe(), Errno(errno));
  }
}

FileFollower::~FileFollower() {
  CloseFd();
  if (inotify_fd_ >= 0) close(inotify_fd_);
}

void FileFollower::CloseFd() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void FileFollower::Adopt(int fd, uint64_t offset) {
  if (fd != fd_) CloseFd();
  fd_ = fd;
  struct stat st {};
  fstat(fd_, &st);
  device_ = st.st_dev;
  inode_ = st.st_ino;
  lseek(fd_, static_cast<off_t>(offset), SEEK_SET);
  offset_ = read_offset_ = offset;
  rotated_ = false;
  first_line_hash_ = FirstLineHash(fd_);
  splitter_.Clear();
}

void FileFollower::Start() {
  started_ = true;
  open_at_end_ = true;
  if (options_.position_file.empty()) return;
  absl::StatusOr<std::string> text = fs_.ReadFile(options_.position_file);
  if (!text.ok()) {
    if (!absl::IsNotFound(text.status())) {
      log_->warn("{}: cannot read the saved position ({}); starting at the end of the file",
                 Describe(), text.status().message());
    }
    return;
  }
  absl::StatusOr<FilePosition> saved = ParseFilePosition(*text, options_.position_file);
  if (!saved.ok()) {
    log_->warn("{}: {}; starting at the end of the file", Describe(), saved.status().message());
    return;
  }
  open_at_end_ = false;
  Resume(*saved);
}

// The saved position's file is the path's file if inode and first line match and it is not
// shorter than the offset; else it was rotated (or replaced) while no follower ran.
void FileFollower::Resume(const FilePosition& saved) {
  int fd = open(options_.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    struct stat st {};
    fstat(fd, &st);
    if (st.st_dev == saved.device && st.st_ino == saved.inode &&
        static_cast<uint64_t>(st.st_size) >= saved.offset &&
        (!saved.first_line_hash || FirstLineHash(fd) == saved.first_line_hash)) {
      Adopt(fd, saved.offset);
      return;
    }
  }
  int old = OpenRotated(saved);
  if (old >= 0) {
    if (fd >= 0) close(fd);
    Adopt(old, saved.offset);
    rotated_ = true;
    log_->info("{}: rotated while the agent was down; reading the rest of the old file first",
               Describe());
    return;
  }
  if (fd >= 0) {
    if (saved.inode != 0) {
      log_->warn("{}: neither the file nor a rotated copy matches the saved position (inode {}); "
                 "reading the file from its start", Describe(), saved.inode);
    }
    Adopt(fd, 0);
  }
}

// The old file of `saved` in the path's directory, open at the saved offset: the file with the
// saved inode (renamed), else a rotated name (PATH.1, PATH-YYYYMMDD, ...) with the saved first
// line (a copytruncate copy). -1 when there is none.
int FileFollower::OpenRotated(const FilePosition& saved) {
  DIR* dir = opendir(dir_.c_str());
  if (dir == nullptr) return -1;
  int best_fd = -1, best_score = -1;
  int64_t best_mtime = 0;
  while (dirent* de = readdir(dir)) {
    std::string name = de->d_name;
    if (name == base_ || name == "." || name == "..") continue;
    std::string full = dir_ + "/" + name;
    struct stat st {};
    if (stat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    bool same_inode = st.st_dev == saved.device && st.st_ino == saved.inode;
    bool rotated_name = (absl::StartsWith(name, base_ + ".") || absl::StartsWith(name, base_ + "-"))
                        && !IsCompressed(name);
    if (!(same_inode || (rotated_name && saved.first_line_hash))) continue;
    if (static_cast<uint64_t>(st.st_size) < saved.offset) continue;
    int fd = open(full.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (saved.first_line_hash && FirstLineHash(fd) != saved.first_line_hash) {
      close(fd);
      continue;
    }
    int score = same_inode ? 2 : (name == base_ + ".1" ? 1 : 0);
    if (score > best_score || (score == best_score && st.st_mtime > best_mtime)) {
      if (best_fd >= 0) close(best_fd);
      best_fd = fd;
      best_score = score;
      best_mtime = st.st_mtime;
    } else {
      close(fd);
    }
  }
  closedir(dir);
  return best_fd;
}

absl::Status FileFollower::OpenPath() {
  int fd = open(options_.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) {
      if (!warned_missing_) {
        log_->warn("{} does not exist; waiting for it to be created", Describe());
        warned_missing_ = true;
      }
      // Everything in a file that appears later is new.
      open_at_end_ = false;
      return absl::UnavailableError(
          absl::StrCat(options_.path, " does not exist; waiting for it to be created"));
    }
    return absl::UnavailableError(absl::StrCat("cannot open ", options_.path, ": ", Errno(err)));
  }
  if (warned_missing_) log_->info("{} exists now; following it", Describe());
  warned_missing_ = false;
  uint64_t start = open_at_end_ ? EndOfLastLine(fd) : 0;
  open_at_end_ = false;
  Adopt(fd, start);
  return absl::OkStatus();
}

// At the end of fd_: whether there is more to read (rotation or truncation found).
bool FileFollower::ContinueAfterEof() {
  if (rotated_) {
    // The old file is done: its unfinished last line will never be finished.
    if (splitter_.has_partial()) {
      splitter_.Append("\n");
      return true;
    }
    CloseFd();
    rotated_ = false;
    return OpenPath().ok();
  }
  struct stat st {};
  if (stat(options_.path.c_str(), &st) != 0) return false;  // renamed, not replaced yet
  if (st.st_dev != device_ || st.st_ino != inode_) {
    log_->info("{} was rotated; reading the rest of the old file, then the new one", Describe());
    rotated_ = true;
    return true;  // one more read: lines written to the old file meanwhile
  }
  struct stat own {};
  if ((fstat(fd_, &own) == 0 && static_cast<uint64_t>(own.st_size) < read_offset_) ||
      WasTruncatedAndRegrown()) {
    FollowTruncation();
    return true;
  }
  return false;
}

// A file truncated and written again up to or past the offset before the follower looked is not
// shorter, but its first line is not the old one.
bool FileFollower::WasTruncatedAndRegrown() {
  if (rotated_ || !first_line_hash_) return false;
  std::optional<uint64_t> now = FirstLineHash(fd_);
  return now != first_line_hash_;
}

void FileFollower::FollowTruncation() {
  // logrotate's copy (PATH.1, same first line) holds what was not read yet.
  int copy = OpenRotated(FilePosition{0, 0, offset_, first_line_hash_});
  if (copy >= 0) {
    log_->info("{} was truncated (copytruncate); reading the rest from its copy, then the "
               "file from its start", Describe());
    Adopt(copy, offset_);
    rotated_ = true;
    return;
  }
  log_->info("{} was truncated (copytruncate); reading it from its start", Describe());
  Adopt(fd_, 0);
}

absl::Status FileFollower::Read(std::vector<LogEntry>& out, size_t max) {
  if (!started_) Start();
  if (fd_ < 0) {
    absl::Status opened = OpenPath();
    if (!opened.ok()) return opened;
  }
  size_t got = 0;
  std::string line;
  size_t bytes = 0;
  while (got < max) {
    if (splitter_.Next(line, bytes)) {
      LogEntry entry;
      entry.text = std::move(line);
      out.push_back(std::move(entry));
      offset_ += bytes;
      ++got;
      continue;
    }
    ssize_t n = read(fd_, chunk_.data(), chunk_.size());
    if (n > 0) {
      if (WasTruncatedAndRegrown()) {  // the bytes just read are not the continuation
        FollowTruncation();
        continue;
      }
      splitter_.Append(std::string_view(chunk_.data(), n));
      read_offset_ += n;
      if (!first_line_hash_) first_line_hash_ = FirstLineHash(fd_);
      continue;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("cannot read ", options_.path, ": ",
                                                 Errno(errno)));
    }
    if (!ContinueAfterEof()) break;
  }
  return absl::OkStatus();
}

// Whether an inotify event concerns the path or its rotated names (the directory also holds
// other busy logs); drops a watch whose directory went away.
bool FileFollower::WatchedEventArrived() {
  alignas(inotify_event) char buf[16 * 1024];
  bool relevant = false;
  for (;;) {
    ssize_t n = read(inotify_fd_, buf, sizeof buf);
    if (n <= 0) break;
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(p);
      if (ev->mask & (IN_IGNORED | IN_Q_OVERFLOW)) {
        if (ev->mask & IN_IGNORED) watch_ = -1;
        relevant = true;
      } else if (ev->len > 0 && absl::StartsWith(ev->name, base_)) {
        relevant = true;
      }
      p += sizeof(inotify_event) + ev->len;
    }
  }
  return relevant;
}

void FileFollower::Wait(std::chrono::milliseconds timeout) {
  if (splitter_.has_line()) return;
  if (inotify_fd_ >= 0 && watch_ < 0) {
    watch_ = inotify_add_watch(inotify_fd_, dir_.c_str(),
                               IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                   IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF);
  }
  if (watch_ < 0) timeout = std::min(timeout, kStatInterval);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    pollfd fds[2] = {{wake_.fd(), POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
    int ms = static_cast<int>(std::min<int64_t>(left.count(), 24 * 3600 * 1000));
    int ready = poll(fds, watch_ >= 0 ? 2 : 1, ms);
    if (ready <= 0) return;  // timeout (or EINTR: Read looks anyway)
    if (fds[0].revents) {
      wake_.Clear();
      return;
    }
    if (WatchedEventArrived()) return;
  }
}

absl::Status FileFollower::SavePosition() {
  if (options_.position_file.empty() || !started_) return absl::OkStatus();
  FilePosition position;  // no file open: the path is to be read from its start
  if (fd_ >= 0) {
    position = FilePosition{device_, inode_, offset_, first_line_hash_};
  } else if (open_at_end_) {
    return absl::OkStatus();  // nothing was read yet: the next start begins at the end again
  }
  FileInfo info;
  info.mode = 0600;
  info.uid = geteuid();
  info.gid = getegid();
  absl::Status written = fs_.WriteFileAtomic(options_.position_file,
                                             EncodeFilePosition(options_.path, position), info);
  if (!written.ok()) {
    return absl::Status(written.code(), absl::StrCat("cannot save the position in ",
                                                     options_.path, ": ", written.message()));
  }
  return absl::OkStatus();
}

}  // namespace relayguard::agent
