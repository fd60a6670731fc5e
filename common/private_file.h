// The rule for files that hold secrets (private keys): nobody but the owner may read them.
#ifndef RELAYGUARD_COMMON_PRIVATE_FILE_H_
#define RELAYGUARD_COMMON_PRIVATE_FILE_H_

#include <string>

#include "absl/status/status.h"

namespace relayguard {

// OK when `path` is a regular file that group and others have no access to. Otherwise
// FailedPrecondition naming `what` ("key"), the path and its mode, and how to fix it:
//   key /etc/relayguard/controller.key has mode 0644: group or others can access it; a private
//   key must be private (chmod 600 /etc/relayguard/controller.key)
// NotFound / PermissionDenied when it cannot be examined.
absl::Status CheckPrivateFile(const std::string& path, const std::string& what);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_PRIVATE_FILE_H_
