// relayguardctl --json: the controller's reply printed by protobuf's JSON printer, so the keys
// are the proto field names and the states the proto enum names, with nothing restated by hand.
#ifndef RELAYGUARD_CONTROLLER_CLI_PROTO_JSON_H_
#define RELAYGUARD_CONTROLLER_CLI_PROTO_JSON_H_

#include <string>

#include "google/protobuf/message.h"

namespace relayguard::controller {

// `message` as one line of JSON and "\n": proto field names, enum names, every primitive field
// (zero values too; an absent message field is left out; 64-bit integers are strings).
std::string ProtoJson(const google::protobuf::Message& message);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_CLI_PROTO_JSON_H_
