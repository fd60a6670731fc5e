#include "controller/server/peer_identity.h"

namespace relayguard::controller {

std::string PeerCommonName(const std::shared_ptr<const grpc::AuthContext>& auth) {
  if (!auth) return "";
  std::vector<grpc::string_ref> cn = auth->FindPropertyValues("x509_common_name");
  return cn.empty() ? "" : std::string(cn[0].data(), cn[0].size());
}

}  // namespace relayguard::controller
