#include "common/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <chrono>

#include "common/logging.h"

namespace relayguard {

SystemdNotifier::~SystemdNotifier() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
}

void SystemdNotifier::Send(const std::string& state) {
  // 0: not under systemd (no NOTIFY_SOCKET); < 0: the socket refused it. Neither stops the
  // daemon: systemd notices a missing READY=1 or WATCHDOG=1 by itself.
  int r = sd_notify(/*unset_environment=*/0, state.c_str());
  if (r < 0) Logger("systemd")->warn("sd_notify({}) failed: error {}", state, -r);
}

void SystemdNotifier::Ready(const std::string& status) { Send("READY=1\nSTATUS=" + status); }

void SystemdNotifier::Reloading() { Send("RELOADING=1"); }

void SystemdNotifier::Stopping() { Send("STOPPING=1"); }

void SystemdNotifier::StartWatchdog() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(/*unset_environment=*/0, &usec) <= 0 || usec == 0) return;
  if (watchdog_.joinable()) return;
  const std::chrono::microseconds every(usec / 2);
  watchdog_ = std::thread([this, every] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      Send("WATCHDOG=1");
      wake_.wait_for(lock, every, [this] { return stop_; });
    }
  });
}

}  // namespace relayguard
