// The one way relayguard reads its mTLS files (CA, certificate, key) and builds gRPC credentials
// from them: the agent and relayguardctl as clients, the controller as the server.
#ifndef RELAYGUARD_COMMON_TLS_FILES_H_
#define RELAYGUARD_COMMON_TLS_FILES_H_

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace relayguard {

// Where a party's mTLS files are (--ca, --cert, --key).
struct TlsFiles {
  std::string ca_file;    // the CA that signed the other side's certificates
  std::string cert_file;  // this party's certificate (chain)
  std::string key_file;   // its private key
};

// The PEM text of a TlsFiles.
struct TlsPem {
  std::string ca;
  std::string cert;
  std::string key;
};

// The text of PEM file `path`, which holds `what` ("the CA certificate"). InvalidArgument when
// no path is given, NotFound/PermissionDenied when it cannot be read, InvalidArgument when it
// holds no "-----BEGIN " block; each message names `what`, the path and what is wrong.
absl::StatusOr<std::string> ReadPemFile(const std::string& path, const std::string& what);

// All three files of `files`; `role` names the party in messages ("agent": "the agent key").
absl::StatusOr<TlsPem> ReadTlsFiles(const TlsFiles& files, const std::string& role);

// Client credentials (agent, relayguardctl): the server must present a certificate signed by the
// CA; this party presents its own certificate.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientTlsCredentials(
    const TlsFiles& files, const std::string& role);

// Server credentials (controller): every client must present a certificate signed by the CA.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerTlsCredentials(
    const TlsFiles& files, const std::string& role);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_TLS_FILES_H_
