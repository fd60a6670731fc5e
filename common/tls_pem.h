// The one way relayguard reads its mTLS files (CA, certificate, key) as PEM text. No gRPC here:
// the agent's one-shot commands (`config check`) read the files without loading gRPC;
// common/tls_files.h builds gRPC credentials from them.
#ifndef RELAYGUARD_COMMON_TLS_PEM_H_
#define RELAYGUARD_COMMON_TLS_PEM_H_

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

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_TLS_PEM_H_
