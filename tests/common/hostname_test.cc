#include "common/hostname.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace relayguard {
namespace {

struct HostNameCase {
  std::string name;
  bool valid;
};

TEST(ValidHostNameTest, Rfc1123HostNames) {
  std::string longest;  // 253 characters: 3 labels of 63, one of 61
  for (int i = 0; i < 3; ++i) longest += std::string(63, 'a') + ".";
  longest += std::string(61, 'b');
  const std::vector<HostNameCase> cases = {
      {"localhost", true},
      {"mx1", true},
      {"example.com", true},
      {"a-b.example.COM", true},
      {"x1.y2", true},
      {"1mail.example", true},  // RFC 1123 allows a leading digit
      {std::string(63, 'a') + ".com", true},
      {longest, true},
      {longest + "b", false},  // 254 characters
      {"", false},
      {".", false},
      {"a.", false},
      {".a", false},
      {"a..b", false},
      {"-a.com", false},
      {"a-.com", false},
      {"a_b.com", false},  // '_': see hostname.h
      {"mail_1", false},
      {"a b.com", false},
      {"a,b", false},
      {"$x", false},
      {"a;b", false},
      {"{a}", false},
      {"a\"b", false},
      {"a\nb", false},
      {std::string(64, 'a') + ".com", false},
  };
  for (const HostNameCase& c : cases) {
    EXPECT_EQ(ValidHostName(c.name), c.valid) << '"' << c.name << '"';
  }
  EXPECT_FALSE(ValidHostName(std::string("mx1\0x", 5)));
}

}  // namespace
}  // namespace relayguard
