// The roles of dashboard accounts: what a signed-in user may do. Each role includes the ones
// below it: admin ⊇ operator ⊇ viewer.
#ifndef RELAYGUARD_CONTROLLER_AUTH_ROLE_H_
#define RELAYGUARD_CONTROLLER_AUTH_ROLE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace relayguard::controller {

enum class Role {
  kViewer,    // read everything and follow live updates
  kOperator,  // also plan, start and steer rollouts, roll back
  kAdmin,     // also manage users and reload playbooks
};

// "viewer", "operator", "admin": the name the store keeps and the CLI prints.
const char* RoleName(Role role);
// The role named `name`; InvalidArgument naming the unknown name and every known one.
absl::StatusOr<Role> ParseRole(absl::string_view name);
// True when a user with role `have` may do what needs role `need`.
bool RoleAllows(Role have, Role need);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_AUTH_ROLE_H_
