// Compliance schedules and maintenance windows (common/cron.h, common/window.h): a schedule
// that parses fires strictly after any instant, and its next firing is the first one (nothing
// fires in between); a window that parses opens strictly after any instant and contains the
// instant it opens. First line: the expression; second: the window; the first byte picks the
// time zone.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/cron.h"
#include "common/duration.h"
#include "common/window.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const char* zones[] = {"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"};
  const std::string zone = zones[data[0] % 4];
  const std::vector<std::string> parts =
      absl::StrSplit(std::string(reinterpret_cast<const char*>(data) + 1, size - 1),
                     absl::MaxSplits('\n', 1));
  const int64_t starts[] = {0, 1796464800, 1711846799 /* a DST change in Berlin */};
  absl::StatusOr<relayguard::Schedule> schedule = relayguard::Schedule::Parse(parts[0], zone);
  if (schedule.ok()) {
    for (int64_t t : starts) {
      const int64_t next = schedule->NextAfter(t);
      FUZZ_CHECK(next > t, parts[0] + " in " + zone + ": NextAfter(" + std::to_string(t) +
                               ") = " + std::to_string(next));
      FUZZ_CHECK(schedule->NextAfter(next - 1) == next,
                 parts[0] + " in " + zone + ": a firing before " + std::to_string(next));
    }
  }
  (void)relayguard::ParseDurationSeconds(parts[0]);
  (void)relayguard::ParseSince(parts[0], 1796464800);
  if (parts.size() < 2) return 0;
  absl::StatusOr<relayguard::MaintenanceWindow> window =
      relayguard::MaintenanceWindow::Parse(parts[1], zone);
  if (window.ok()) {
    for (int64_t t : starts) {
      const int64_t opens = window->NextOpening(t);
      FUZZ_CHECK(opens > t, parts[1] + " in " + zone + ": NextOpening(" + std::to_string(t) +
                                ") = " + std::to_string(opens));
      FUZZ_CHECK(window->Contains(opens),
                 parts[1] + " in " + zone + ": does not contain its opening " +
                     std::to_string(opens));
    }
  }
  return 0;
}
