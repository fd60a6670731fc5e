#include "common/tls_files.h"

#include "common/status_macros.h"

namespace relayguard {

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
