// Spreading a fleet's compliance checks: a stable per-host offset added to a schedule's firings.
#ifndef RELAYGUARD_COMMON_SPLAY_H_
#define RELAYGUARD_COMMON_SPLAY_H_

#include <cstdint>
#include <string>

#include "common/cron.h"

namespace relayguard {

// Deterministic offset in [0, splay_s) for `host` (a stable hash, the same on every run and
// machine), so a fleet spreads its checks over the splay instead of all firing at once.
int64_t SplayOffset(const std::string& host, int64_t splay_s);

// When `host` next checks strictly after `after`: the first firing F of `schedule` with
// F + offset > after, as F + offset.
int64_t NextCheckAfter(const Schedule& schedule, const std::string& host, int64_t splay_s,
                       int64_t after);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_SPLAY_H_
