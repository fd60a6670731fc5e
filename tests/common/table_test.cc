// The column printer (common/table.cc): widths from the content, minimums kept, no trailing
// spaces.
#include "common/table.h"

#include <gtest/gtest.h>

namespace relayguard {
namespace {

TEST(TableTest, ColumnsAreAsWideAsTheirWidestCell) {
  Table t({{"HOST"}, {"STATUS"}, {"SUMMARY"}});
  t.AddRow({"mx1", "compliant", "-"});
  t.AddRow({"a-much-longer-host", "drifted", "mynetworks"});
  EXPECT_EQ(t.Render(),
            "HOST               STATUS    SUMMARY\n"
            "mx1                compliant -\n"
            "a-much-longer-host drifted   mynetworks\n");
}

TEST(TableTest, AMinimumWidthHoldsUntilAValueIsLonger) {
  struct Case {
    std::string policy, want;
  };
  for (const Case& c : std::vector<Case>{
           {"p v1", "mx1  p v1     audit\n"},
           {"no-open-relay-checked v1", "mx1  no-open-relay-checked v1 audit\n"},
       }) {
    Table t({{"", 4}, {"", 8}, {""}});
    t.AddRow({"mx1", c.policy, "audit"});
    EXPECT_EQ(t.Render(), c.want) << c.policy;
  }
}

TEST(TableTest, NoHeaderWhenEveryHeaderIsEmptyAndEveryLineIndented) {
  Table t({{"", 5}, {""}}, "  ");
  t.AddRow({"mx1", "pushed"}).AddRow({"mx2"});
  EXPECT_EQ(t.Render(), "  mx1   pushed\n  mx2\n");
}

TEST(TableTest, AnEmptyTableIsItsHeader) {
  EXPECT_EQ(Table({{"A"}, {"B"}}).Render(), "A B\n");
  EXPECT_EQ(Table({{""}}).Render(), "");
}

}  // namespace
}  // namespace relayguard
