#include "common/json_writer.h"

#include <gtest/gtest.h>

namespace relayguard {
namespace {

TEST(JsonWriterTest, WritesNestedValuesWithCommas) {
  JsonWriter json;
  json.BeginObject().Key("a").Int(1).Key("b").BeginArray().String("x").Bool(true).Null();
  json.EndArray().Key("c").BeginObject().EndObject().EndObject();
  EXPECT_EQ(json.str(), R"({"a":1,"b":["x",true,null],"c":{}})");
}

TEST(JsonWriterTest, EscapesControlCharactersAndQuotes) {
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\x01"), R"("a\"b\\c\nd\u0001")");
}

}  // namespace
}  // namespace relayguard
