// Time behind an interface so polling and timeouts are tested without sleeping.
#ifndef RELAYGUARD_COMMON_CLOCK_H_
#define RELAYGUARD_COMMON_CLOCK_H_

#include <chrono>
#include <ctime>
#include <thread>

namespace relayguard {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point Now() = 0;
  virtual int64_t WallSeconds() = 0;  // seconds since the epoch
  virtual void SleepFor(std::chrono::milliseconds d) = 0;
};

class RealClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return std::chrono::steady_clock::now(); }
  int64_t WallSeconds() override { return static_cast<int64_t>(std::time(nullptr)); }
  void SleepFor(std::chrono::milliseconds d) override { std::this_thread::sleep_for(d); }
};

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_CLOCK_H_
