#include "controller/auth/role.h"

#include "common/enum_names.h"

namespace relayguard::controller {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kViewer: return "viewer";
    case Role::kOperator: return "operator";
    case Role::kAdmin: return "admin";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  return ParseEnumName<Role>(name, "role", RoleName, Role::kViewer, Role::kAdmin);
}

bool RoleAllows(Role have, Role need) {
  return static_cast<int>(have) >= static_cast<int>(need);
}

}  // namespace relayguard::controller
