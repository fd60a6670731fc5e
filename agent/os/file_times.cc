// RealFileSystem::Backdate (file times are their own small concern).
#include <fcntl.h>
#include <sys/stat.h>

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

}  // namespace relayguard::agent
