// When compliance checks run and when they may change a host: a cron schedule in a time zone,
// a per-host splay, and maintenance windows. Pure time arithmetic on seconds since the epoch
// (no clock inside), so tests drive it with any instant.
#ifndef RELAYGUARD_COMMON_SCHEDULE_H_
#define RELAYGUARD_COMMON_SCHEDULE_H_

#include <cstdint>
#include <string>
#include <vector>

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

// A maintenance window: "DAYS HH:MM-HH:MM" in the schedule's time zone. DAYS is "*" or "daily",
// a day name (mon..sun, case-insensitive), a range "mon-fri", or a comma list "sat,sun". A
// window whose end is not after its start crosses midnight and belongs to the day it starts
// ("fri 22:00-02:00" is Friday 22:00 to Saturday 02:00). End "24:00" means midnight.
class MaintenanceWindow {
 public:
  static absl::StatusOr<MaintenanceWindow> Parse(const std::string& text,
                                                 const std::string& time_zone);
  bool Contains(int64_t at) const;
  // When the window next opens strictly after `after` (its start instant).
  int64_t NextOpening(int64_t after) const;
  const std::string& text() const { return text_; }

 private:
  MaintenanceWindow() = default;
  std::string text_;
  absl::TimeZone zone_;
  uint8_t weekdays_ = 0;  // bit 0 = Sunday
  int start_min_ = 0, end_min_ = 0;  // minutes after local midnight; end may be <= start
};

// True when `windows` is empty (no windows: changes any time) or one contains `at`.
bool InAnyWindow(const std::vector<MaintenanceWindow>& windows, int64_t at);
// The earliest NextOpening of `windows` after `at`; 0 when there are none.
int64_t NextWindowOpening(const std::vector<MaintenanceWindow>& windows, int64_t at);

// Deterministic offset in [0, splay_s) for `host` (a stable hash, the same on every run and
// machine), so a fleet spreads its checks over the splay instead of all firing at once.
int64_t SplayOffset(const std::string& host, int64_t splay_s);

// When `host` next checks strictly after `after`: the first firing F of `schedule` with
// F + offset > after, as F + offset.
int64_t NextCheckAfter(const Schedule& schedule, const std::string& host, int64_t splay_s,
                       int64_t after);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_SCHEDULE_H_
