// The reason an operator gives for a rollout, a rollback, or a pause/resume/abort: stored with
// the audit entry (and the rollout) and shown in the audit log. One check for every way in (the
// CLI, the dashboard), done by the RolloutManager before it does anything.
#ifndef RELAYGUARD_CONTROLLER_ROLLOUT_OPERATOR_REASON_H_
#define RELAYGUARD_CONTROLLER_ROLLOUT_OPERATOR_REASON_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace relayguard::controller {

inline constexpr size_t kMaxReasonChars = 500;

// OK when `reason` is empty or one line of valid UTF-8 with no control characters (C0, DEL, C1,
// U+2028/U+2029) and at most kMaxReasonChars characters (code points). Otherwise
// InvalidArgument naming `field`, what is wrong and where, ending "nothing was changed".
absl::Status CheckReason(absl::string_view reason, absl::string_view field = "reason");

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_ROLLOUT_OPERATOR_REASON_H_
