// Spans of time as people write them on command lines and in configuration: "90s", "10m",
// "24h", "7d"; and "since when" as such a span back from now or an RFC 3339 time.
#ifndef RELAYGUARD_COMMON_DURATION_H_
#define RELAYGUARD_COMMON_DURATION_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace relayguard {

// "90s", "10m", "24h", "7d" -> seconds (a whole number, then one unit: s, m, h or d; at most
// ten years). InvalidArgument saying what is wrong with `text` otherwise.
absl::StatusOr<int64_t> ParseDurationSeconds(absl::string_view text);

// A duration (ParseDurationSeconds) back from `now`, or an RFC 3339 time
// ("2026-12-05T10:00:00Z", "2026-12-05T11:00:00+01:00"): seconds since the epoch.
// InvalidArgument naming both forms otherwise.
absl::StatusOr<int64_t> ParseSince(absl::string_view text, int64_t now);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_DURATION_H_
