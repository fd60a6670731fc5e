#include "agent/probe/scan_targets.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;

FileReader Files(std::map<std::string, std::string> files) {
  return [files](const std::string& path) -> absl::StatusOr<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return absl::NotFoundError("no such file");
    return it->second;
  };
}

std::vector<std::string> Texts(const std::vector<SmtpEndpoint>& endpoints) {
  std::vector<std::string> out;
  for (const SmtpEndpoint& e : endpoints) out.push_back(e.ToString());
  return out;
}

TEST(ParseScanTargetsTest, AcceptsEndpointsNetworksAndFiles) {
  auto got = ParseScanTargets(
      {"127.0.0.1:2525", "[::1]:2526", "127.0.0.8/30:2527", "127.0.0.20", "@list",
       "127.0.0.1:2525"},
      Files({{"list", "# lab\n127.0.0.5:25  # five\n\n[2001:db8::/127]:587\n"}}));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(Texts(*got),
              ::testing::ElementsAre("127.0.0.1:2525", "[::1]:2526", "127.0.0.9:2527",
                                     "127.0.0.10:2527", "127.0.0.20:25", "127.0.0.5:25",
                                     "[2001:db8::]:587", "[2001:db8::1]:587"));
}

TEST(ParseScanTargetsTest, ANetworkSkipsItsNetworkAndBroadcastAddresses) {
  auto got = ParseScanTargets({"192.0.2.0/24"}, Files({}));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->size(), 254u);
  EXPECT_EQ(got->front().ToString(), "192.0.2.1:25");
  EXPECT_EQ(got->back().ToString(), "192.0.2.254:25");
  auto host_bits_set = ParseScanTargets({"192.0.2.77/31"}, Files({}));
  ASSERT_TRUE(host_bits_set.ok());
  EXPECT_THAT(Texts(*host_bits_set), ::testing::ElementsAre("192.0.2.76:25", "192.0.2.77:25"));
}

TEST(ParseScanTargetsTest, RejectsWhatIsNotATargetNamingIt) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"mail.example.org:25"}, "target \"mail.example.org:25\": \"mail.example.org\" is not an IP"},
      {{"127.0.0.1:0"}, "port \"0\" is not 1..65535"},
      {{"127.0.0.1:smtp"}, "port \"smtp\""},
      {{"10.0.0.0/8"}, "more than 65536 addresses"},
      {{"10.0.0.0/33"}, "10.0.0.0/33"},
      {{"[::1"}, "missing ']'"},
      {{"@missing"}, "cannot read targets file missing"},
      {{"@bad"}, "bad:2: "},
      {{""}, "an empty target"},
      {{"@empty"}, "no targets given"},
  };
  for (const Case& c : cases) {
    auto got = ParseScanTargets(c.args, Files({{"bad", "127.0.0.1\nnot-an-ip\n"},
                                               {"empty", "# nothing\n"}}));
    ASSERT_FALSE(got.ok()) << c.args[0];
    EXPECT_TRUE(absl::IsInvalidArgument(got.status()));
    EXPECT_THAT(got.status().message(), HasSubstr(c.message)) << c.args[0];
  }
  auto capped = ParseScanTargets({"127.0.0.0/24"}, Files({}), 10);
  ASSERT_FALSE(capped.ok());
  EXPECT_THAT(capped.status().message(), HasSubstr("more than 10 targets"));
}

}  // namespace
}  // namespace relayguard::agent
