#include "common/tls_pem.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace relayguard {

absl::StatusOr<std::string> ReadPemFile(const std::string& path, const std::string& what) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no file given for ", what));
  }
  std::ifstream in(path);
  if (!in) {
    const int error = errno;
    const std::string message =
        absl::StrCat("cannot read ", what, " ", path, ": ", std::strerror(error));
    if (error == ENOENT) return absl::NotFoundError(message);
    if (error == EACCES) return absl::PermissionDeniedError(message);
    return absl::InvalidArgumentError(message);
  }
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", path, " is not PEM (no \"-----BEGIN \" line)"));
  }
  return text.str();
}

absl::StatusOr<TlsPem> ReadTlsFiles(const TlsFiles& files, const std::string& role) {
  TlsPem pem;
  ASSIGN_OR_RETURN(pem.ca, ReadPemFile(files.ca_file, "the CA certificate"));
  ASSIGN_OR_RETURN(pem.cert,
                   ReadPemFile(files.cert_file, absl::StrCat("the ", role, " certificate")));
  ASSIGN_OR_RETURN(pem.key, ReadPemFile(files.key_file, absl::StrCat("the ", role, " key")));
  return pem;
}

}  // namespace relayguard
