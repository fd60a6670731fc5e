#include "common/tls_files.h"

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

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientTlsCredentials(
    const TlsFiles& files, const std::string& role) {
  ASSIGN_OR_RETURN(TlsPem pem, ReadTlsFiles(files, role));
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = std::move(pem.ca);
  ssl.pem_cert_chain = std::move(pem.cert);
  ssl.pem_private_key = std::move(pem.key);
  return grpc::SslCredentials(ssl);
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerTlsCredentials(
    const TlsFiles& files, const std::string& role) {
  ASSIGN_OR_RETURN(TlsPem pem, ReadTlsFiles(files, role));
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = std::move(pem.ca);
  ssl.pem_key_cert_pairs.push_back({std::move(pem.key), std::move(pem.cert)});
  return grpc::SslServerCredentials(ssl);
}

}  // namespace relayguard
