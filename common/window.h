// When compliance may change a host: maintenance windows in a time zone. Pure time arithmetic on
// seconds since the epoch (no clock inside).
#ifndef RELAYGUARD_COMMON_WINDOW_H_
#define RELAYGUARD_COMMON_WINDOW_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace relayguard {

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
  uint8_t weekdays_ = 0;             // bit 0 = Sunday
  int start_min_ = 0, end_min_ = 0;  // minutes after local midnight; end may be <= start
};

// True when `windows` is empty (no windows: changes any time) or one contains `at`.
bool InAnyWindow(const std::vector<MaintenanceWindow>& windows, int64_t at);
// The earliest NextOpening of `windows` after `at`; 0 when there are none.
int64_t NextWindowOpening(const std::vector<MaintenanceWindow>& windows, int64_t at);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_WINDOW_H_
