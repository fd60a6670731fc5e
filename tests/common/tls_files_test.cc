#include "common/tls_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace relayguard {
namespace {

using ::testing::HasSubstr;

constexpr char kPem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

class TlsFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tls_files_test." + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(TlsFilesTest, ReadsPemAndSaysWhatIsWrongWithEachFile) {
  struct Case {
    std::string name;
    std::string path;
    absl::StatusCode code;
    std::string message;
  };
  const std::string good = Write("ca.crt", kPem);
  const std::string not_pem = Write("ca.der", "\x30\x82\x01");
  const std::string missing = (dir_ / "missing.crt").string();
  const std::vector<Case> cases = {
      {"PEM", good, absl::StatusCode::kOk, ""},
      {"missing", missing, absl::StatusCode::kNotFound,
       "cannot read the CA certificate " + missing + ": No such file or directory"},
      {"not PEM", not_pem, absl::StatusCode::kInvalidArgument,
       "the CA certificate " + not_pem + " is not PEM (no \"-----BEGIN \" line)"},
      {"no path", "", absl::StatusCode::kInvalidArgument, "no file given for the CA certificate"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> pem = ReadPemFile(c.path, "the CA certificate");
    EXPECT_EQ(pem.status().code(), c.code) << c.name << ": " << pem.status();
    if (pem.ok()) {
      EXPECT_EQ(*pem, kPem) << c.name;
    } else {
      EXPECT_EQ(pem.status().message(), c.message) << c.name;
    }
  }
}

TEST_F(TlsFilesTest, ReadTlsFilesNamesTheRoleOfTheBadFile) {
  const std::string pem = Write("a.pem", kPem);
  absl::StatusOr<TlsPem> read = ReadTlsFiles({pem, pem, Write("key", "junk")}, "agent");
  EXPECT_THAT(read.status().message(), HasSubstr("the agent key "));
  read = ReadTlsFiles({pem, (dir_ / "none").string(), pem}, "operator");
  EXPECT_THAT(read.status().message(), HasSubstr("cannot read the operator certificate "));
  read = ReadTlsFiles({pem, pem, pem}, "controller");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->key, kPem);
}

TEST_F(TlsFilesTest, CredentialsNeedAllThreeFiles) {
  const std::string pem = Write("a.pem", kPem);
  EXPECT_FALSE(ClientTlsCredentials({pem, pem, ""}, "agent").ok());
  EXPECT_FALSE(ServerTlsCredentials({"", pem, pem}, "controller").ok());
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> client =
      ClientTlsCredentials({pem, pem, pem}, "agent");
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_NE(*client, nullptr);
}

}  // namespace
}  // namespace relayguard
