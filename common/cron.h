// When compliance checks fire: a cron schedule in a time zone. Pure time arithmetic on seconds
// since the epoch (no clock inside), so tests drive it with any instant.
#ifndef RELAYGUARD_COMMON_CRON_H_
#define RELAYGUARD_COMMON_CRON_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace relayguard {

// A schedule expression:
//   - cron, 5 fields "MIN HOUR DOM MON DOW" (Vixie cron: lists, ranges, steps, `*`, month and
//     day names jan..dec / sun..sat, DOW 0 and 7 both Sunday; when both DOM and DOW are
//     restricted a day matches either), or 6 fields with SECONDS first ("*/5 * * * * *");
//   - "@yearly" (= "@annually"), "@monthly", "@weekly", "@daily" (= "@midnight"), "@hourly";
//   - "@every N{s|m|h}" (N >= 1, at most 24h): at every multiple of the interval since the epoch.
// evaluated in an IANA time zone ("UTC", "Europe/Berlin"; from the system's tzdata).
class Schedule {
 public:
  // InvalidArgument naming the field and what is wrong, e.g.
  //   `field 2 (hour): 25 is out of range 0..23`, `unknown time zone "Mars/Base"`,
  //   `"0 0 30 2 *" never fires (February 30)` (no firing within 5 years).
  static absl::StatusOr<Schedule> Parse(const std::string& expression,
                                        const std::string& time_zone);

  // The first firing instant strictly after `after` (seconds since the epoch).
  int64_t NextAfter(int64_t after) const;

  const std::string& expression() const { return expression_; }
  const std::string& time_zone_name() const { return zone_name_; }

 private:
  Schedule() = default;
  std::string expression_;
  std::string zone_name_;
  absl::TimeZone zone_;
  int64_t every_s_ = 0;  // "@every": the interval; cron fields unused
  // Cron fields as bit sets: bit i set when value i matches.
  uint64_t seconds_ = 0, minutes_ = 0;
  uint32_t hours_ = 0, days_ = 0, months_ = 0;  // days_: bits 1..31, months_: bits 1..12
  uint8_t weekdays_ = 0;                        // bit 0 = Sunday .. bit 6 = Saturday
  bool dom_star_ = true, dow_star_ = true;
};

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_CRON_H_
