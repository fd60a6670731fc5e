#include "agent/mta/sendmail/access_keys.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace relayguard::agent::sendmail {
namespace {

using Strings = std::vector<std::string>;

Cidr C(const std::string& text) {
  absl::StatusOr<Cidr> cidr = ParseCidr(text);
  EXPECT_TRUE(cidr.ok()) << cidr.status();
  return cidr.ok() ? *cidr : Cidr{};
}

// "Connect:" + prefix + each number from..to (decimal, or hex for IPv6 groups).
Strings Range(const std::string& prefix, int from, int to, bool hex = false) {
  Strings keys;
  for (int i = from; i <= to; ++i) {
    keys.push_back(
        absl::StrCat("Connect:", prefix, hex ? absl::StrCat(absl::Hex(i)) : absl::StrCat(i)));
  }
  return keys;
}

struct KeysCase {
  std::string name;
  std::string cidr;
  Strings keys;
};

class AccessKeysForTest : public ::testing::TestWithParam<KeysCase> {};

TEST_P(AccessKeysForTest, CoversExactlyTheNetwork) {
  absl::StatusOr<Strings> keys = AccessKeysFor(C(GetParam().cidr));
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(*keys, GetParam().keys);
}

INSTANTIATE_TEST_SUITE_P(
    Networks, AccessKeysForTest,
    ::testing::Values(
        KeysCase{"V4Slash8", "10.0.0.0/8", {"Connect:10"}},
        KeysCase{"V4Slash16", "10.1.0.0/16", {"Connect:10.1"}},
        KeysCase{"V4Slash24", "10.1.2.0/24", {"Connect:10.1.2"}},
        KeysCase{"V4Slash32", "10.1.2.3/32", {"Connect:10.1.2.3"}},
        KeysCase{"V4BareAddress", "192.0.2.1", {"Connect:192.0.2.1"}},
        KeysCase{"V4Loopback", "127.0.0.1/32", {"Connect:127.0.0.1"}},
        KeysCase{"V4HostBitsIgnored", "192.168.1.7/24", {"Connect:192.168.1"}},
        KeysCase{"V4Slash23", "10.1.2.0/23", {"Connect:10.1.2", "Connect:10.1.3"}},
        KeysCase{"V4Slash23FromOddAddress", "10.1.3.0/23", {"Connect:10.1.2", "Connect:10.1.3"}},
        KeysCase{"V4Slash20", "192.168.16.0/20", Range("192.168.", 16, 31)},
        KeysCase{"V4Slash12", "172.16.0.0/12", Range("172.", 16, 31)},
        KeysCase{"V4Slash7", "10.0.0.0/7", {"Connect:10", "Connect:11"}},
        KeysCase{"V4Slash25", "192.0.2.128/25", Range("192.0.2.", 128, 255)},
        KeysCase{"V4Slash0IsAllOctets", "0.0.0.0/0", Range("", 0, 255)},
        KeysCase{"V6Loopback", "::1/128", {"Connect:IPv6:0:0:0:0:0:0:0:1"}},
        KeysCase{"V6Slash128", "2001:db8::abcd/128", {"Connect:IPv6:2001:db8:0:0:0:0:0:abcd"}},
        KeysCase{"V6Slash32", "2001:db8::/32", {"Connect:IPv6:2001:db8"}},
        KeysCase{"V6Slash48", "2001:db8:10::/48", {"Connect:IPv6:2001:db8:10"}},
        KeysCase{"V6Slash64", "2001:db8:abcd:12::/64", {"Connect:IPv6:2001:db8:abcd:12"}},
        KeysCase{"V6Slash64ZeroGroups", "2001:db8::/64", {"Connect:IPv6:2001:db8:0:0"}},
        KeysCase{"V6ZeroSubnet", "::/64", {"Connect:IPv6:0:0:0:0"}},
        KeysCase{"V6Slash112", "2001:db8::/112", {"Connect:IPv6:2001:db8:0:0:0:0:0"}},
        KeysCase{
            "V6Slash47", "2001:db8::/47", {"Connect:IPv6:2001:db8:0", "Connect:IPv6:2001:db8:1"}},
        KeysCase{"V6Slash40", "2001:db8::/40", Range("IPv6:2001:db8:", 0, 0xff, true)},
        KeysCase{"V6Slash10", "fe80::/10", Range("IPv6:", 0xfe80, 0xfebf, true)},
        KeysCase{"V6Slash120", "2001:db8::1/120", Range("IPv6:2001:db8:0:0:0:0:0:", 0, 0xff, true)},
        KeysCase{"V6Slash0", "::/0", {"Connect:IPv6"}},
        KeysCase{"V4MappedNetwork", "::ffff:192.0.2.0/120", {"Connect:192.0.2"}},
        KeysCase{"V4MappedAddress", "::ffff:192.0.2.1/128", {"Connect:192.0.2.1"}}),
    [](const auto& info) { return info.param.name; });

struct TooManyCase {
  std::string cidr;
  std::string message;
};

class AccessKeysForTooManyTest : public ::testing::TestWithParam<TooManyCase> {};

TEST_P(AccessKeysForTooManyTest, RefusesNamingTheNetwork) {
  absl::StatusOr<Strings> keys = AccessKeysFor(C(GetParam().cidr));
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(keys.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Networks, AccessKeysForTooManyTest,
    ::testing::Values(
        TooManyCase{"2001:db8::/33",
                    "network 2001:db8::/33 needs 32768 access keys (more than 256): Sendmail "
                    "matches IPv6 networks by whole 16-bit groups; use a prefix length closer to "
                    "a multiple of 16"},
        TooManyCase{"2001:db8::/119",
                    "network 2001:db8::/119 needs 512 access keys (more than 256): Sendmail "
                    "matches IPv6 networks by whole 16-bit groups; use a prefix length closer to "
                    "a multiple of 16"},
        TooManyCase{"::/1",
                    "network ::/1 needs 32768 access keys (more than 256): Sendmail matches IPv6 "
                    "networks by whole 16-bit groups; use a prefix length closer to a multiple "
                    "of 16"}));

// --- AccessKeyNetwork ---

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
        NetworkCase{"Address", "127.0.0.5", "127.0.0.5/32"}, NetworkCase{"Zero", "0", "0.0.0.0/8"},
        NetworkCase{"AllZeroAddress", "0.0.0.0", "0.0.0.0/32"},
        NetworkCase{"BracketedNetwork", "[10.1]", "10.1.0.0/16"},
        NetworkCase{"V6Everything", "IPv6", "::/0"},
        NetworkCase{"V6AnyCase", "ipv6:2001:DB8", "2001:db8::/32"},
        NetworkCase{"V6Loopback", "IPv6:0:0:0:0:0:0:0:1", "::1/128"},
        NetworkCase{"V6Compressed", "IPv6:::1", "::1/128"},
        NetworkCase{"V6CompressedNetwork", "IPv6:2001:db8::", "2001:db8::/128"},
        NetworkCase{"V6Bracketed", "[IPv6:2001:db8:1]", "2001:db8:1::/48"},
        NetworkCase{"LeadingZeroNeverMatches", "10.01", ""},
        NetworkCase{"OctetTooLarge", "256", ""}, NetworkCase{"FiveOctets", "1.2.3.4.5", ""},
        NetworkCase{"EmptyOctet", "10..1", ""}, NetworkCase{"V6LeadingZero", "IPv6:2001:0db8", ""},
        NetworkCase{"V6TooManyGroups", "IPv6:1:2:3:4:5:6:7:8:9", ""},
        NetworkCase{"Name", "example.com", ""}, NetworkCase{"Empty", "", ""}),
    [](const auto& info) { return info.param.name; });

TEST(AccessKeyNetworkTest, IsTheInverseOfAccessKeysFor) {
  for (const char* text : {"10.0.0.0/8", "10.1.0.0/16", "192.0.2.0/24", "192.0.2.7/32",
                           "2001:db8::/32", "2001:db8:1::/48", "::1/128", "::/0"}) {
    absl::StatusOr<Cidr> network = ParseCidr(text);
    ASSERT_TRUE(network.ok()) << text;
    absl::StatusOr<std::vector<std::string>> keys = AccessKeysFor(*network);
    ASSERT_TRUE(keys.ok()) << keys.status();
    ASSERT_EQ(keys->size(), 1u) << text;
    std::optional<Cidr> back =
        AccessKeyNetwork(keys->front().substr(std::string("Connect:").size()));
    ASSERT_TRUE(back.has_value()) << keys->front();
    EXPECT_EQ(back->ToString(), text);
  }
}

TEST(IsAddressKeyTest, TellsAddressKeysFromNames) {
  for (const char* key :
       {"127", "10.1.2.3", "10.01", "IPv6", "ipv6:2001:db8", "[127.0.0.1]", "[IPv6:::1]", "0"}) {
    EXPECT_TRUE(IsAddressKey(key)) << key;
  }
  for (const char* key :
       {"example.com", "", "localhost", "ipv6:", "10.1.example", "[host]", "IPv6host"}) {
    EXPECT_FALSE(IsAddressKey(key)) << key;
  }
}

}  // namespace
}  // namespace relayguard::agent::sendmail
