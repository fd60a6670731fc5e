#include "agent/mta/exim/exim_list.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace relayguard::agent::exim {
namespace {

using Strings = std::vector<std::string>;

struct ParseCase {
  std::string name;
  std::string value;
  Strings items;
};

class ParseEximListTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseEximListTest, SplitsAsEximDoes) {
  EXPECT_EQ(ParseEximList(GetParam().value), GetParam().items) << GetParam().value;
}

INSTANTIATE_TEST_SUITE_P(
    Values, ParseEximListTest,
    ::testing::Values(
        ParseCase{"Empty", "", {}}, ParseCase{"Blank", "   ", {}},
        ParseCase{"One", "127.0.0.1", {"127.0.0.1"}},
        ParseCase{"Colons", "127.0.0.1 : 10.0.0.0/8", {"127.0.0.1", "10.0.0.0/8"}},
        ParseCase{"NoSpaces", "a:b:c", {"a", "b", "c"}},
        // spec 6.20: doubled colons are a literal colon; the spaces around ':' matter.
        ParseCase{"DoubledColonsIpv6", "127.0.0.1 : ::::1", {"127.0.0.1", "::1"}},
        // ... "If they were not there, the list would be interpreted as 127.0.0.1:: and 1."
        ParseCase{"SpacesMatter", "127.0.0.1:::::1", {"127.0.0.1::", "1"}},
        ParseCase{"Ipv6Network", "3ffe::ffff::836f::::/48", {"3ffe:ffff:836f::/48"}},
        // spec 6.21: "<" and a punctuation character change the separator.
        ParseCase{"SemicolonSeparator", "<; 127.0.0.1 ; ::1", {"127.0.0.1", "::1"}},
        ParseCase{"SemicolonNoSpaces", "<;127.0.0.1;::1/128", {"127.0.0.1", "::1/128"}},
        ParseCase{"OtherSeparator", "<, a , b", {"a", "b"}},
        ParseCase{"DoubledSemicolon", "<; a;;b ; c", {"a;b", "c"}},
        // spec 6.22: an empty last item is ignored, others are kept.
        ParseCase{"TrailingSeparator", "user@domain :", {"user@domain"}},
        ParseCase{"OneEmptyItem", ":", {""}}, ParseCase{"OneEmptyItemSpaced", " : ", {""}},
        ParseCase{"EmptyMiddleItem", "a : : b", {"a", "", "b"}},
        ParseCase{"NamedListsAndNegation",
                  "! +local_domains : +relay_to_domains",
                  {"! +local_domains", "+relay_to_domains"}},
        ParseCase{"Tabs", "\ta\t:\tb\t", {"a", "b"}}, ParseCase{"LessThanAlone", "<", {"<"}},
        ParseCase{"LessThanLetter", "<a : b", {"<a", "b"}}),
    [](const auto& info) { return info.param.name; });

struct FormatCase {
  std::string name;
  Strings items;
  std::string text;
};

class FormatEximListTest : public ::testing::TestWithParam<FormatCase> {};

TEST_P(FormatEximListTest, FormatsAndParsesBack) {
  EXPECT_EQ(FormatEximList(GetParam().items), GetParam().text);
  EXPECT_EQ(ParseEximList(GetParam().text), GetParam().items);
}

INSTANTIATE_TEST_SUITE_P(
    Values, FormatEximListTest,
    ::testing::Values(
        FormatCase{"Empty", {}, ""}, FormatCase{"One", {"127.0.0.1/32"}, "127.0.0.1/32"},
        FormatCase{"Ipv4", {"127.0.0.1/32", "10.0.0.0/8"}, "127.0.0.1/32 : 10.0.0.0/8"},
        FormatCase{"Domains", {"a.example", "b.example"}, "a.example : b.example"},
        FormatCase{
            "Ipv6ForcesSemicolons", {"127.0.0.1/32", "::1/128"}, "<; 127.0.0.1/32 ; ::1/128"},
        FormatCase{"OnlyIpv6", {"2001:db8::/32"}, "<; 2001:db8::/32"},
        FormatCase{"SemicolonInItemIsDoubled", {"a:b", "c;d"}, "<; a:b ; c;;d"},
        // Found by the exim_lists fuzz target: a first item "<;" read back as a separator
        // change and an empty list.
        FormatCase{"FirstItemLooksLikeASeparatorChange", {"<;", "a"}, "<: <; : a"}),
    [](const auto& info) { return info.param.name; });

TEST(SameEximListItemsTest, ComparesNetworksByValueAndNamesCaselessly) {
  EXPECT_TRUE(SameEximListItems({"127.0.0.1", "::1"}, {"127.0.0.1/32", "::1/128"}));
  EXPECT_TRUE(SameEximListItems({"2001:DB8:0::/32"}, {"2001:db8::/32"}));
  EXPECT_TRUE(SameEximListItems({"Relay.Example.ORG"}, {"relay.example.org"}));
  EXPECT_TRUE(SameEximListItems({}, {}));
  EXPECT_FALSE(SameEximListItems({"10.0.0.0/8"}, {"10.0.0.0/16"}));
  EXPECT_FALSE(SameEximListItems({"a", "b"}, {"b", "a"}));  // order matters for Exim
  EXPECT_FALSE(SameEximListItems({"a"}, {"a", "a"}));
  EXPECT_FALSE(SameEximListItems({"MAIN_RELAY_NETS"}, {"127.0.0.1/32"}));
}

}  // namespace
}  // namespace relayguard::agent::exim
