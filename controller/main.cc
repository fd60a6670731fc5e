// relayguard-controller: serves agent streams and the operator API, runs rollouts, keeps its
// state in SQLite under --state-dir (controller_main.cc). Production wires no fault points.
#include "controller/controller_main.h"

int main(int argc, char** argv) {
  relayguard::controller::NoFaultPoints none;
  return relayguard::controller::RunControllerMain(argc, argv, none);
}
