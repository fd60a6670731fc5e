// relayguard-controller-pausing: the relayguard-controller program with fault points that stop
// it at one named step (controller/rollout/fault_points.h), so that a test can SIGKILL it there.
// Built under tests/, never installed.
//   relayguard-controller-pausing --pause-at-file FILE [relayguard-controller arguments]
// FILE (read at every step, so a test can choose the step while the controller runs) holds
// STEP or STEP#N: pause the N-th time STEP is reached from then on (default the first); absent
// or empty, nothing pauses. Paused, it says so on stderr and sleeps (at most 120 s, then goes on).
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "controller/controller_main.h"

namespace {

class PausingControllerFaultPoints final : public relayguard::controller::FaultPoints {
 public:
  explicit PausingControllerFaultPoints(std::string file) : file_(std::move(file)) {}
  void Reached(absl::string_view step) override {
    std::string wanted;
    std::getline(std::ifstream(file_), wanted);
    int nth = 1;
    if (size_t hash = wanted.find('#'); hash != std::string::npos) {
      nth = std::stoi(wanted.substr(hash + 1));
      wanted.resize(hash);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (wanted != armed_) {  // a new choice: count from now
        armed_ = wanted;
        seen_ = 0;
      }
      if (wanted.empty() || step != wanted || ++seen_ != nth) return;
    }
    std::cerr << "relayguard-controller: paused at " << step << " #" << nth << " (pid "
              << getpid() << ")" << std::endl;
    std::this_thread::sleep_for(std::chrono::seconds(120));
  }

 private:
  std::string file_;
  std::mutex mu_;
  std::string armed_;
  int seen_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || std::string(argv[1]) != "--pause-at-file") {
    std::cerr << "usage: relayguard-controller-pausing --pause-at-file FILE "
                 "[relayguard-controller arguments]\n";
    return 2;
  }
  PausingControllerFaultPoints faults(argv[2]);
  std::vector<char*> args{argv[0]};
  for (int i = 3; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  return relayguard::controller::RunControllerMain(static_cast<int>(args.size()) - 1, args.data(),
                                                   faults);
}
