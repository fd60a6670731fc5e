// Helpers of the cron, window and splay tests: instants of local civil times.
#ifndef RELAYGUARD_TESTS_COMMON_SCHEDULE_TEST_UTIL_H_
#define RELAYGUARD_TESTS_COMMON_SCHEDULE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/cron.h"

namespace relayguard::testing {

inline absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

// The instant of the local civil time `civil` ("2026-03-29T02:30:00") in `zone`.
inline int64_t Instant(const std::string& civil, const std::string& zone) {
  absl::CivilSecond cs;
  EXPECT_TRUE(absl::ParseCivilTime(civil, &cs)) << civil;
  return absl::ToUnixSeconds(absl::FromCivil(cs, Zone(zone)));
}

inline int64_t Utc(const std::string& civil) { return Instant(civil, "UTC"); }

// `at` as local time in `zone`: "2026-03-29 03:00:00 +02:00".
inline std::string Local(int64_t at, const std::string& zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S %Ez", absl::FromUnixSeconds(at), Zone(zone));
}

inline Schedule MustParse(const std::string& expression, const std::string& zone = "UTC") {
  absl::StatusOr<Schedule> s = Schedule::Parse(expression, zone);
  EXPECT_TRUE(s.ok()) << expression << ": " << s.status();
  return s.ok() ? *s : *Schedule::Parse("* * * * *", "UTC");
}

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_COMMON_SCHEDULE_TEST_UTIL_H_
