#include "agent/mta/sendmail/access_keys.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace relayguard::agent::sendmail {
namespace {

struct NetworkCase {
  std::string name;
  std::string key;
  std::string network;  // "" when the key matches no client address
};

class AccessKeyNetworkTest : public ::testing::TestWithParam<NetworkCase> {};

TEST_P(AccessKeyNetworkTest, IsWhatSendmailsPrefixLookupCovers) {
  std::optional<Cidr> network = AccessKeyNetwork(GetParam().key);
  if (GetParam().network.empty()) {
    EXPECT_FALSE(network.has_value()) << network->ToString();
  } else {
    ASSERT_TRUE(network.has_value());
    EXPECT_EQ(network->ToString(), GetParam().network);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Keys, AccessKeyNetworkTest,
    ::testing::Values(
        NetworkCase{"OneOctet", "127", "127.0.0.0/8"},
        NetworkCase{"TwoOctets", "10.1", "10.1.0.0/16"},
        NetworkCase{"ThreeOctets", "127.0.0", "127.0.0.0/24"},
        NetworkCase{"Address", "127.0.0.5", "127.0.0.5/32"},
        NetworkCase{"Zero", "0", "0.0.0.0/8"},
        NetworkCase{"AllZeroAddress", "0.0.0.0", "0.0.0.0/32"},
        NetworkCase{"BracketedNetwork", "[10.1]", "10.1.0.0/16"},
        NetworkCase{"V6Everything", "IPv6", "::/0"},
        NetworkCase{"V6AnyCase", "ipv6:2001:DB8", "2001:db8::/32"},
        NetworkCase{"V6Loopback", "IPv6:0:0:0:0:0:0:0:1", "::1/128"},
        NetworkCase{"V6Compressed", "IPv6:::1", "::1/128"},
        NetworkCase{"V6CompressedNetwork", "IPv6:2001:db8::", "2001:db8::/128"},
        NetworkCase{"V6Bracketed", "[IPv6:2001:db8:1]", "2001:db8:1::/48"},
        NetworkCase{"LeadingZeroNeverMatches", "10.01", ""},
        NetworkCase{"OctetTooLarge", "256", ""},
        NetworkCase{"FiveOctets", "1.2.3.4.5", ""},
        NetworkCase{"EmptyOctet", "10..1", ""},
        NetworkCase{"V6LeadingZero", "IPv6:2001:0db8", ""},
        NetworkCase{"V6TooManyGroups", "IPv6:1:2:3:4:5:6:7:8:9", ""},
        NetworkCase{"Name", "example.com", ""},
        NetworkCase{"Empty", "", ""}),
    [](const auto& info) { return info.param.name; });

TEST(AccessKeyNetworkTest, IsTheInverseOfAccessKeysFor) {
  for (const char* text : {"10.0.0.0/8", "10.1.0.0/16", "192.0.2.0/24", "192.0.2.7/32",
                           "2001:db8::/32", "2001:db8:1::/48", "::1/128", "::/0"}) {
    absl::StatusOr<Cidr> network = ParseCidr(text);
    ASSERT_TRUE(network.ok()) << text;
    absl::StatusOr<std::vector<std::string>> keys = AccessKeysFor(*network);
    ASSERT_TRUE(keys.ok()) << keys.status();
    ASSERT_EQ(keys->size(), 1u) << text;
    std::optional<Cidr> back = AccessKeyNetwork(keys->front().substr(std::string("Connect:").size()));
    ASSERT_TRUE(back.has_value()) << keys->front();
    EXPECT_EQ(back->ToString(), text);
  }
}

TEST(IsAddressKeyTest, TellsAddressKeysFromNames) {
  for (const char* key : {"127", "10.1.2.3", "10.01", "IPv6", "ipv6:2001:db8", "[127.0.0.1]",
                          "[IPv6:::1]", "0"}) {
    EXPECT_TRUE(IsAddressKey(key)) << key;
  }
  for (const char* key : {"example.com", "", "localhost", "ipv6:", "10.1.example", "[host]",
                          "IPv6host"}) {
    EXPECT_FALSE(IsAddressKey(key)) << key;
  }
}

}  // namespace
}  // namespace relayguard::agent::sendmail
