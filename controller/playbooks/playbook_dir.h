// Loads every playbook (*.yaml) of a directory into the store as a policy version. A playbook
// that does not validate is reported and skipped; a changed text under the same version is
// refused (bump the version).
#ifndef RELAYGUARD_CONTROLLER_PLAYBOOKS_PLAYBOOK_DIR_H_
#define RELAYGUARD_CONTROLLER_PLAYBOOKS_PLAYBOOK_DIR_H_

#include <string>
#include <utility>
#include <vector>

#include "controller/store/store_facade.h"

namespace relayguard::controller {

// Returns ("name vN" loaded, errors with file:line:col).
std::pair<std::vector<std::string>, std::vector<std::string>> LoadPlaybookDir(
    const std::string& dir, StoreFacade& store, int64_t now);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_PLAYBOOKS_PLAYBOOK_DIR_H_
