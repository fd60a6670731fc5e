// gRPC credentials from relayguard's mTLS files (common/tls_pem.h reads them): the agent and
// relayguardctl as clients, the controller as the server.
#ifndef RELAYGUARD_COMMON_TLS_FILES_H_
#define RELAYGUARD_COMMON_TLS_FILES_H_

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/tls_pem.h"

namespace relayguard {

// Client credentials (agent, relayguardctl): the server must present a certificate signed by the
// CA; this party presents its own certificate.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientTlsCredentials(
    const TlsFiles& files, const std::string& role);

// Server credentials (controller): every client must present a certificate signed by the CA.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerTlsCredentials(
    const TlsFiles& files, const std::string& role);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_TLS_FILES_H_
