#include "agent/auth/smoke_credential.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace relayguard::agent {
namespace {

constexpr off_t kMaxCredentialBytes = 4096;

absl::Status Refuse(const std::string& path, const std::string& why) {
  return absl::FailedPreconditionError(
      absl::StrCat("auth.smoke_credential ", path, ": ", why));
}

}  // namespace

Secret::~Secret() {
  // Best effort: the buffer is overwritten before it is freed.
  volatile char* p = value_.data();
  for (size_t i = 0; i < value_.size(); ++i) p[i] = 0;
}

absl::StatusOr<SmokeCredential> ReadSmokeCredential(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int e = errno;
    if (e == ELOOP) return Refuse(path, "is a symbolic link; name the file itself");
    return Refuse(path, absl::StrCat("cannot be opened: ", std::strerror(e)));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int e = errno;
    close(fd);
    return Refuse(path, absl::StrCat("cannot be read: ", std::strerror(e)));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return Refuse(path, "is not a regular file");
  }
  if (st.st_uid != 0 && st.st_uid != geteuid()) {
    close(fd);
    return Refuse(path, absl::StrCat("is owned by uid ", st.st_uid,
                                     "; it must belong to root (chown root: ", path, ")"));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    close(fd);
    return Refuse(path, absl::StrFormat("has mode %04o: group or others may read it; a password "
                                        "file must be private (chmod 600 %s)",
                                        st.st_mode & 07777, path));
  }
  if (st.st_size > kMaxCredentialBytes) {
    close(fd);
    return Refuse(path, absl::StrCat("is ", st.st_size, " bytes; expected one line USER:PASSWORD"));
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  text.resize(got);
  SmokeCredential credential;
  credential.source = path;
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
  const size_t colon = text.find(':');
  if (colon == std::string::npos) {
    credential.password = Secret(std::move(text));
    return Refuse(path, "expected one line USER:PASSWORD (no ':' found)");
  }
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      credential.password = Secret(std::move(text));
      return Refuse(path,
                    "contains a line break or control character; expected one line "
                    "USER:PASSWORD");
    }
  }
  credential.username = text.substr(0, colon);
  credential.password = Secret(text.substr(colon + 1));
  // Wipe the working copy too.
  volatile char* p = text.data();
  for (size_t i = 0; i < text.size(); ++i) p[i] = 0;
  if (credential.username.empty()) return Refuse(path, "the user name (before ':') is empty");
  if (credential.password.empty()) return Refuse(path, "the password (after ':') is empty");
  return credential;
}

std::string RedactSecret(std::string text, const SmokeCredential& credential) {
  const std::string& password = credential.password.Reveal();
  if (password.empty()) return text;
  std::string plain;
  plain.push_back('\0');
  absl::StrAppend(&plain, credential.username);
  plain.push_back('\0');
  absl::StrAppend(&plain, password);
  const std::string forms[] = {absl::Base64Escape(plain), absl::Base64Escape(password), password};
  for (const std::string& form : forms) {
    absl::StrReplaceAll({{form, "<secret>"}}, &text);
  }
  return text;
}

}  // namespace relayguard::agent
