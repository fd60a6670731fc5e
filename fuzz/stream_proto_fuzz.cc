// The stream's wire messages (proto/relayguard/v1/agent_stream.proto), as each side decodes
// them: the controller an AgentMessage, the agent a ControllerMessage. What decodes encodes,
// and decoding that encoding gives the same message (decode -> encode -> decode is stable).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "relayguard/v1/agent_stream.pb.h"

namespace {

// Deterministic encoding: map entries in key order, so equal messages encode equally.
bool Encode(const google::protobuf::MessageLite& message, std::string* out) {
  out->clear();
  google::protobuf::io::StringOutputStream stream(out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  return message.SerializeToCodedStream(&coded);
}

template <typename Message>
void CheckStable(const uint8_t* data, size_t size, const char* name) {
  Message first;
  if (!first.ParseFromArray(data, static_cast<int>(size))) return;
  std::string encoded;
  FUZZ_CHECK(Encode(first, &encoded), std::string(name) + " does not encode");
  Message second;
  FUZZ_CHECK(second.ParseFromString(encoded),
             std::string(name) + ": its own encoding does not decode");
  std::string again;
  FUZZ_CHECK(Encode(second, &again), std::string(name) + " does not encode twice");
  FUZZ_CHECK(again == encoded, std::string(name) + ": decode -> encode -> decode is not stable");
  FUZZ_CHECK(second.ByteSizeLong() == encoded.size(), std::string(name) + ": ByteSizeLong");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckStable<relayguard::v1::AgentMessage>(data, size, "AgentMessage");
  CheckStable<relayguard::v1::ControllerMessage>(data, size, "ControllerMessage");
  return 0;
}
