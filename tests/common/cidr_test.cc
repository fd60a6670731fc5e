#include "common/cidr.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace relayguard {
namespace {

using ::testing::HasSubstr;

struct AddressCase {
  std::string input;
  IpFamily family;
  std::string canonical;
};

void PrintTo(const AddressCase& c, std::ostream* os) { *os << '"' << c.input << '"'; }

class ParseIpAddressGoodTest : public ::testing::TestWithParam<AddressCase> {};

TEST_P(ParseIpAddressGoodTest, ParsesToCanonicalText) {
  const AddressCase& c = GetParam();
  absl::StatusOr<IpAddress> address = ParseIpAddress(c.input);
  ASSERT_TRUE(address.ok()) << c.input << ": " << address.status();
  EXPECT_EQ(address->family, c.family);
  EXPECT_EQ(address->ToString(), c.canonical);
  // The canonical text parses back to the same address.
  absl::StatusOr<IpAddress> again = ParseIpAddress(c.canonical);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *address);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseIpAddressGoodTest,
    ::testing::Values(AddressCase{"127.0.0.1", IpFamily::kV4, "127.0.0.1"},
                      AddressCase{"0.0.0.0", IpFamily::kV4, "0.0.0.0"},
                      AddressCase{"255.255.255.255", IpFamily::kV4, "255.255.255.255"},
                      AddressCase{"10.0.0.0", IpFamily::kV4, "10.0.0.0"},
                      AddressCase{"192.0.2.199", IpFamily::kV4, "192.0.2.199"},
                      AddressCase{"::", IpFamily::kV6, "::"},
                      AddressCase{"::1", IpFamily::kV6, "::1"},
                      AddressCase{"1::", IpFamily::kV6, "1::"},
                      AddressCase{"2001:DB8::1", IpFamily::kV6, "2001:db8::1"},
                      AddressCase{"2001:0db8:0000:0000:0000:0000:0000:0001", IpFamily::kV6,
                                  "2001:db8::1"},
                      AddressCase{"2001:db8:0:0:1:0:0:1", IpFamily::kV6, "2001:db8::1:0:0:1"},
                      AddressCase{"2001:db8:0:0:0:1:0:0", IpFamily::kV6, "2001:db8::1:0:0"},
                      AddressCase{"2001:0:0:1:0:0:0:1", IpFamily::kV6, "2001:0:0:1::1"},
                      AddressCase{"2001:db8:0:1:1:1:1:1", IpFamily::kV6, "2001:db8:0:1:1:1:1:1"},
                      AddressCase{"1:2:3:4:5:6:7::", IpFamily::kV6, "1:2:3:4:5:6:7:0"},
                      AddressCase{"::2:3:4:5:6:7:8", IpFamily::kV6, "0:2:3:4:5:6:7:8"},
                      AddressCase{"fe80::abcd:ef01", IpFamily::kV6, "fe80::abcd:ef01"},
                      AddressCase{"::ffff:1.2.3.4", IpFamily::kV6, "::ffff:1.2.3.4"},
                      AddressCase{"::FFFF:0102:0304", IpFamily::kV6, "::ffff:1.2.3.4"},
                      AddressCase{"64:ff9b::192.0.2.33", IpFamily::kV6, "64:ff9b::c000:221"},
                      AddressCase{"1:2:3:4:5:6:1.2.3.4", IpFamily::kV6, "1:2:3:4:5:6:102:304"},
                      AddressCase{"0:0:0:0:0:0:0:0", IpFamily::kV6, "::"},
                      AddressCase{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", IpFamily::kV6,
                                  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}));

struct BadCase {
  std::string input;
  std::string message_part;  // a substring the message must contain
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << '"' << c.input << '"'; }

class ParseIpAddressBadTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParseIpAddressBadTest, RefusesWithReason) {
  const BadCase& c = GetParam();
  absl::StatusOr<IpAddress> address = ParseIpAddress(c.input);
  ASSERT_FALSE(address.ok()) << c.input << " parsed as " << address->ToString();
  EXPECT_EQ(address.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(address.status().message(), HasSubstr(c.message_part)) << c.input;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseIpAddressBadTest,
    ::testing::Values(
        BadCase{"", "\"\" is not an IP address: is empty"},
        BadCase{"010.0.0.1",
                "\"010.0.0.1\" is not an IP address: octet 1 \"010\" has a leading zero"},
        BadCase{"1.2.3.00", "octet 4 \"00\" has a leading zero"},
        BadCase{"256.0.0.1", "octet 1 256 is greater than 255"},
        BadCase{"1.2.3.1000", "octet 4 \"1000\" is too long"},
        BadCase{"1.2.3", "4 dot-separated octets, found 3"},
        BadCase{"1.2.3.4.5", "4 dot-separated octets, found 5"},
        BadCase{"1..3.4", "octet 2 is empty"}, BadCase{"1.2.3.", "octet 4 is empty"},
        BadCase{"1.2.3.-4", "character '-' is not allowed in an IPv4 address"},
        BadCase{"1.2.3.+4", "character '+' is not allowed"},
        BadCase{"0x7f.0.0.1", "character 'x' is not allowed in an IPv4 address"},
        BadCase{"localhost", "character 'l' is not allowed in an IPv4 address"},
        BadCase{" 127.0.0.1", "contains whitespace"}, BadCase{"127.0.0.1 ", "contains whitespace"},
        BadCase{"127.0.0.1\n", "contains a control character"},
        BadCase{std::string("127.0.0.1\0", 10), "contains a control character"},
        BadCase{"127.0.0.1/32", "has a prefix length"},
        BadCase{"[::1]", "brackets are not allowed"}, BadCase{"fe80::1%eth0", "zone ids"},
        BadCase{":::", "empty group"}, BadCase{"1:::2", "empty group"},
        BadCase{":1", "empty group"}, BadCase{"1:", "empty group"},
        BadCase{"1::2::3", "\"::\" appears more than once"},
        BadCase{"1:2:3:4:5:6:7", "without \"::\" has 8 groups, found 7"},
        BadCase{"1:2:3:4:5:6:7:8:9", "without \"::\" has 8 groups, found 9"},
        BadCase{"1:2:3:4:5:6:7:8::", "too many groups"},
        BadCase{"::1:2:3:4:5:6:7:8", "too many groups"},
        BadCase{"1:2:3:4:5:6:7::1.2.3.4", "too many groups"},
        BadCase{"12345::", "group \"12345\" is not 1 to 4 hexadecimal digits"},
        BadCase{"g::1", "character 'g' is not allowed in an IPv6 address"},
        BadCase{"::1.2.3.4:5", "embedded IPv4 address \"1.2.3.4\" is only allowed as the last"},
        BadCase{"1.2.3.4::", "embedded IPv4 address"},
        BadCase{"::ffff:1.2.3.256", "embedded IPv4 address: octet 4 256 is greater than 255"},
        BadCase{"::ffff:01.2.3.4", "leading zero"}, BadCase{"1:2:3:4:5:6:7:1.2.3.4", "found 9"},
        BadCase{"127.0.0.1,127.0.0.2", "character ',' is not allowed"},
        BadCase{"$ip", "character '$' is not allowed"}));

struct CidrCase {
  std::string input;
  std::string canonical;
  int prefix_length;
};

void PrintTo(const CidrCase& c, std::ostream* os) { *os << '"' << c.input << '"'; }

class ParseCidrGoodTest : public ::testing::TestWithParam<CidrCase> {};

TEST_P(ParseCidrGoodTest, ParsesToCanonicalText) {
  const CidrCase& c = GetParam();
  absl::StatusOr<Cidr> cidr = ParseCidr(c.input);
  ASSERT_TRUE(cidr.ok()) << c.input << ": " << cidr.status();
  EXPECT_EQ(cidr->ToString(), c.canonical);
  EXPECT_EQ(cidr->prefix_length, c.prefix_length);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseCidrGoodTest,
    ::testing::Values(CidrCase{"127.0.0.0/8", "127.0.0.0/8", 8},
                      CidrCase{"127.0.0.1", "127.0.0.1/32", 32},
                      CidrCase{"0.0.0.0/0", "0.0.0.0/0", 0},
                      CidrCase{"192.168.1.7/24", "192.168.1.7/24", 24},
                      CidrCase{"10.0.0.0/32", "10.0.0.0/32", 32}, CidrCase{"::1", "::1/128", 128},
                      CidrCase{"::1/128", "::1/128", 128}, CidrCase{"::/0", "::/0", 0},
                      CidrCase{"2001:DB8:0::/32", "2001:db8::/32", 32},
                      CidrCase{"::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104", 104}));

class ParseCidrBadTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParseCidrBadTest, RefusesWithReason) {
  const BadCase& c = GetParam();
  absl::StatusOr<Cidr> cidr = ParseCidr(c.input);
  ASSERT_FALSE(cidr.ok()) << c.input << " parsed as " << cidr->ToString();
  EXPECT_EQ(cidr.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(cidr.status().message(), HasSubstr(c.message_part)) << c.input;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseCidrBadTest,
    ::testing::Values(
        BadCase{"10.0.0.0/33", "prefix length 33 is out of range 0..32 in \"10.0.0.0/33\""},
        BadCase{"::/129", "prefix length 129 is out of range 0..128 in \"::/129\""},
        BadCase{"10.0.0.0/999", "prefix length 999 is out of range 0..32"},
        BadCase{"10.0.0.0 /8", "\"10.0.0.0 /8\" is not an IP network: contains whitespace"},
        BadCase{"10.0.0.0/ 8", "contains whitespace"},
        BadCase{"10.0.0.0/8\n", "contains a control character"},
        BadCase{"", "\"\" is not an IP network: is empty"},
        BadCase{"10.0.0.0/", "prefix length after '/' is missing"},
        BadCase{"/8", "\"/8\" is not an IP network: address is empty"},
        BadCase{"10.0.0.0/08", "prefix length \"08\" has a leading zero"},
        BadCase{"10.0.0.0/-1", "prefix length \"-1\" is not a decimal number 0..32"},
        BadCase{"10.0.0.0/+8", "is not a decimal number"},
        BadCase{"10.0.0.0/8/9", "is not a decimal number"},
        BadCase{"10.0.0.0/1234", "is not a decimal number"},
        BadCase{"10.0.0.0/255.0.0.0", "is not a decimal number"},
        BadCase{"010.0.0.0/8", "address octet 1 \"010\" has a leading zero"},
        BadCase{"[::1]/128", "brackets are not allowed"}, BadCase{"fe80::%eth0/64", "zone ids"},
        BadCase{"10.0.0.0/8,10.1.0.0/16", "is not a decimal number"},
        BadCase{"10.0.0.0/8;", "is not a decimal number"},
        BadCase{"10.0.0.0;/8", "address character ';' is not allowed"},
        BadCase{"10.0.0.0}/8", "address character '}' is not allowed"},
        BadCase{"\"10.0.0.0/8\"", "address character '\\\"' is not allowed"},
        BadCase{"example.com/8", "address character 'e' is not allowed"}));

struct ContainsCase {
  std::string network;
  std::string address;
  bool contained;
};

void PrintTo(const ContainsCase& c, std::ostream* os) { *os << c.network << " vs " << c.address; }

class CidrContainsTest : public ::testing::TestWithParam<ContainsCase> {};

TEST_P(CidrContainsTest, ComparesPrefixBits) {
  const ContainsCase& c = GetParam();
  absl::StatusOr<Cidr> cidr = ParseCidr(c.network);
  ASSERT_TRUE(cidr.ok()) << cidr.status();
  absl::StatusOr<IpAddress> address = ParseIpAddress(c.address);
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(cidr->Contains(*address), c.contained) << c.network << " contains " << c.address;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CidrContainsTest,
    ::testing::Values(
        ContainsCase{"127.0.0.0/8", "127.0.0.1", true},
        ContainsCase{"127.0.0.0/8", "127.255.255.255", true},
        ContainsCase{"127.0.0.0/8", "128.0.0.1", false},
        ContainsCase{"192.168.1.7/24", "192.168.1.200", true},
        ContainsCase{"192.168.1.7/24", "192.168.2.7", false},
        ContainsCase{"10.0.0.0/9", "10.127.0.1", true},
        ContainsCase{"10.0.0.0/9", "10.128.0.1", false}, ContainsCase{"10.0.0.1", "10.0.0.1", true},
        ContainsCase{"10.0.0.1", "10.0.0.2", false}, ContainsCase{"0.0.0.0/0", "203.0.113.5", true},
        ContainsCase{"0.0.0.0/0", "::1", false}, ContainsCase{"::/0", "2001:db8::1", true},
        ContainsCase{"::/0", "1.2.3.4", false}, ContainsCase{"::1/128", "::1", true},
        ContainsCase{"::1/128", "::2", false},
        ContainsCase{"2001:db8::/32", "2001:db8:ffff::1", true},
        ContainsCase{"2001:db8::/32", "2001:db9::1", false},
        ContainsCase{"2001:db8::/33", "2001:db8:7fff::", true},
        ContainsCase{"2001:db8::/33", "2001:db8:8000::", false},
        ContainsCase{"::ffff:127.0.0.0/104", "127.0.0.1", false},
        ContainsCase{"::ffff:127.0.0.0/104", "::ffff:127.1.2.3", true}));

TEST(IpAddressTest, DefaultIsIpv4Zero) {
  IpAddress address;
  EXPECT_EQ(address.family, IpFamily::kV4);
  EXPECT_EQ(address.ToString(), "0.0.0.0");
}

TEST(IpAddressTest, EqualityComparesFamilyAndBytes) {
  EXPECT_EQ(*ParseIpAddress("::1"), *ParseIpAddress("0::0:1"));
  EXPECT_NE(*ParseIpAddress("::1"), *ParseIpAddress("::2"));
  EXPECT_NE(*ParseIpAddress("0.0.0.0"), *ParseIpAddress("::"));
}

TEST(IpAddressTest, MessageQuotesControlCharactersEscaped) {
  absl::StatusOr<IpAddress> address = ParseIpAddress("1.2.3.4\nmynetworks = 0.0.0.0/0");
  ASSERT_FALSE(address.ok());
  EXPECT_THAT(address.status().message(), HasSubstr("\"1.2.3.4\\nmynetworks"));
  EXPECT_EQ(std::string(address.status().message()).find('\n'), std::string::npos);
}

}  // namespace
}  // namespace relayguard
