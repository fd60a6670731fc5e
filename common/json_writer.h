// A small streaming JSON writer for --json output (commas and escaping handled here).
#ifndef RELAYGUARD_COMMON_JSON_WRITER_H_
#define RELAYGUARD_COMMON_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace relayguard {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);  // inside an object, before each value
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  const std::string& str() const { return out_; }

 private:
  void BeforeValue();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

// `text` as a JSON string literal with quotes.
std::string JsonQuote(std::string_view text);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_JSON_WRITER_H_
