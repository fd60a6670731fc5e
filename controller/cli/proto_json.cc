#include "controller/cli/proto_json.h"

#include "google/protobuf/util/json_util.h"

namespace relayguard::controller {

std::string ProtoJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  // Printing a message this binary holds cannot fail; an empty object would say so anyway.
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) out = "{}";
  return out + "\n";
}

}  // namespace relayguard::controller
