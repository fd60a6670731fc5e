// RealFileSystem's scratch-file operations, used for staged copies that are checked and thrown
// away: no fsync, no atomic rename, old modification times.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "agent/os/file_system.h"

namespace relayguard::agent {

absl::Status RealFileSystem::Backdate(const std::string& path, std::chrono::seconds age) {
  timespec times[2];
  times[0].tv_sec = std::time(nullptr) - age.count();
  times[0].tv_nsec = 0;
  times[1] = times[0];
  if (utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot set the modification time of ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status RealFileSystem::WriteScratchFile(const std::string& path,
                                              const std::string& contents) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return absl::InternalError(absl::StrCat("cannot write ", path, ": ", std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0) {
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace relayguard::agent
