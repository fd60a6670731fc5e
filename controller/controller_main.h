// The relayguard-controller program as a function, so that the test-only
// relayguard-controller-pausing (tests/support/pausing_controller_main.cc) runs the same wiring
// with fault points that can stop it; relayguard-controller (main.cc) passes NoFaultPoints.
#ifndef RELAYGUARD_CONTROLLER_CONTROLLER_MAIN_H_
#define RELAYGUARD_CONTROLLER_CONTROLLER_MAIN_H_

#include "controller/rollout/fault_points.h"

namespace relayguard::controller {

int RunControllerMain(int argc, char** argv, FaultPoints& faults);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_CONTROLLER_MAIN_H_
