#include "agent/os/file_system.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

#include "absl/strings/str_cat.h"

namespace relayguard::agent {
namespace {

absl::Status ErrnoError(int err, const std::string& what) {
  std::string message = absl::StrCat(what, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case EROFS:
      return absl::FailedPreconditionError(message);
    default:
      return absl::InternalError(message);
  }
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status WriteAll(int fd, const std::string& contents, const std::string& path) {
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "cannot write " + path + " (temp file)");
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status FsyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "cannot open directory " + dir);
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0) return ErrnoError(err, "cannot fsync directory " + dir);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> RealFileSystem::ReadFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, " does not exist"));
    return ErrnoError(errno, "cannot read " + path);
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      return ErrnoError(err, "cannot read " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

absl::Status RealFileSystem::WriteFileAtomic(const std::string& path, const std::string& contents,
                                             const FileInfo& info) {
  std::string dir = DirName(path);
  std::string name = path.substr(path.rfind('/') + 1);
  std::vector<char> tmpl(dir.begin(), dir.end());
  std::string suffix = "/." + name + ".relayguard-XXXXXX";
  tmpl.insert(tmpl.end(), suffix.begin(), suffix.end());
  tmpl.push_back('\0');
  int fd = mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "cannot create a temp file next to " + path);
  std::string tmp(tmpl.data());
  auto fail = [&](absl::Status s) {
    close(fd);
    unlink(tmp.c_str());
    return s;
  };
  if (absl::Status s = WriteAll(fd, contents, path); !s.ok()) return fail(s);
  if (fchmod(fd, info.mode & 07777) != 0) {
    return fail(ErrnoError(errno, absl::StrCat("cannot write ", path, ": chmod of ", tmp)));
  }
  if (fchown(fd, info.uid, info.gid) != 0) {
    // Without CAP_CHOWN we can only keep our own ownership; anything else is an error.
    if (!(errno == EPERM && info.uid == geteuid() && info.gid == getegid())) {
      return fail(ErrnoError(errno, absl::StrCat("cannot write ", path, ": chown ", info.uid, ":",
                                                 info.gid, " of ", tmp)));
    }
  }
  if (info.write_age_s > 0) {
    timespec times[2];
    clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec -= info.write_age_s;
    times[1] = times[0];
    if (futimens(fd, times) != 0) {
      return fail(ErrnoError(errno, absl::StrCat("cannot write ", path, ": futimens of ", tmp)));
    }
  }
  if (fsync(fd) != 0) {
    return fail(ErrnoError(errno, absl::StrCat("cannot write ", path, ": fsync of ", tmp)));
  }
  if (close(fd) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return ErrnoError(err, absl::StrCat("cannot write ", path, ": close of ", tmp));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return ErrnoError(err, "cannot replace " + path);
  }
  // The new contents are in place; a failed directory fsync only weakens durability.
  return FsyncDir(dir);
}

absl::StatusOr<FileInfo> RealFileSystem::Stat(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, " does not exist"));
    return ErrnoError(errno, "cannot stat " + path);
  }
  return FileInfo{static_cast<mode_t>(st.st_mode & 07777), st.st_uid, st.st_gid,
                  S_ISREG(st.st_mode), static_cast<int64_t>(st.st_mtime)};
}

absl::Status RealFileSystem::MakeDirs(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("empty directory path");
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    std::string part = path.substr(0, pos);
    if (part.empty()) continue;
    if (mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoError(errno, "cannot create directory " + part);
    }
  }
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " exists and is not a directory"));
  }
  return absl::OkStatus();
}

absl::Status RealFileSystem::RemoveFile(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError(errno, "cannot remove " + path);
  }
  return absl::OkStatus();
}

absl::Status RealFileSystem::CheckWritableDir(const std::string& dir) {
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("config dir ", dir, " is not writable: ", std::strerror(errno)));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("config dir ", dir, " is not writable: not a directory"));
  }
  if (access(dir.c_str(), W_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("config dir ", dir, " is not writable: ", std::strerror(errno)));
  }
  // access() says yes for root even on a read-only mount's files; a real create tells the truth.
  std::string probe = dir + "/.relayguard-write-probe-XXXXXX";
  std::vector<char> tmpl(probe.begin(), probe.end());
  tmpl.push_back('\0');
  int fd = mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("config dir ", dir, " is not writable: ", std::strerror(errno)));
  }
  close(fd);
  unlink(tmpl.data());
  return absl::OkStatus();
}

}  // namespace relayguard::agent
