// Who is on the other end of a gRPC call: the CN of the peer's verified client certificate.
#ifndef RELAYGUARD_CONTROLLER_SERVER_PEER_IDENTITY_H_
#define RELAYGUARD_CONTROLLER_SERVER_PEER_IDENTITY_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace relayguard::controller {

// The CN of the verified client certificate, or "" without one (plaintext, no certificate).
std::string PeerCommonName(const std::shared_ptr<const grpc::AuthContext>& auth);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_SERVER_PEER_IDENTITY_H_
