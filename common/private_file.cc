#include "common/private_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace relayguard {

absl::Status CheckPrivateFile(const std::string& path, const std::string& what) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    const int e = errno;
    const std::string message = absl::StrCat(what, " ", path, " cannot be examined: ",
                                              std::strerror(e));
    if (e == ENOENT || e == ENOTDIR) return absl::NotFoundError(message);
    if (e == EACCES) return absl::PermissionDeniedError(message);
    return absl::UnavailableError(message);
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(what, " ", path, " is not a regular file"));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s %s has mode %04o: group or others can access it; a private key must be private "
        "(chmod 600 %s)",
        what, path, st.st_mode & 07777, path));
  }
  return absl::OkStatus();
}

}  // namespace relayguard
