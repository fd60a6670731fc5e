// RFC 4180 quoting for CSV output (common/csv.cc).
#include "common/csv.h"

#include <gtest/gtest.h>

namespace relayguard {
namespace {

TEST(CsvTest, QuotesOnlyWhatNeedsItAndKeepsLineBreaks) {
  struct Case {
    std::string in, out;
  };
  for (const Case& c : std::vector<Case>{
           {"", ""},
           {"plain text", "plain text"},
           {"a,b", "\"a,b\""},
           {"say \"hi\"", "\"say \"\"hi\"\"\""},
           {"line1\nline2", "\"line1\nline2\""},
           {"cr\r\nlf", "\"cr\r\nlf\""},
           {"'single' ; tab\t", "'single' ; tab\t"},
       }) {
    EXPECT_EQ(CsvField(c.in), c.out) << c.in;
  }
}

TEST(CsvTest, ARecordJoinsFieldsAndEndsTheLine) {
  EXPECT_EQ(CsvRecord({"mx1", "a,b", ""}), "mx1,\"a,b\",\n");
  EXPECT_EQ(CsvRecord({}), "\n");
}

}  // namespace
}  // namespace relayguard
