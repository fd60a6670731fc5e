// Password hashes (argon2id, PHC strings), the password and user-name rules, roles and tokens.
#include "controller/auth/password_hash.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "controller/auth/role.h"
#include "controller/auth/tokens.h"

namespace relayguard::controller {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

const char kPassword[] = "correct horse battery staple";

TEST(PasswordHashTest, HashIsAnArgon2idPhcStringThatVerifies) {
  absl::StatusOr<std::string> hash = HashPassword(kPassword);
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_THAT(*hash, StartsWith("$argon2id$v=19$m=19456,t=2,p=1$"));
  // 16-byte salt and 32-byte hash, base64 without padding: 22 and 43 characters.
  EXPECT_THAT(
      *hash,
      MatchesRegex(R"(\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43})"));
  EXPECT_THAT(*hash, Not(HasSubstr(kPassword)));
  EXPECT_TRUE(VerifyPassword(kPassword, *hash));
}

TEST(PasswordHashTest, EveryHashHasItsOwnSalt) {
  absl::StatusOr<std::string> a = HashPassword(kPassword);
  absl::StatusOr<std::string> b = HashPassword(kPassword);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(VerifyPassword(kPassword, *b));
}

TEST(PasswordHashTest, AWrongPasswordDoesNotVerify) {
  absl::StatusOr<std::string> hash = HashPassword(kPassword);
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_FALSE(VerifyPassword("correct horse battery stapl", *hash));
  EXPECT_FALSE(VerifyPassword("Correct horse battery staple", *hash));
  EXPECT_FALSE(VerifyPassword("", *hash));
}

TEST(PasswordHashTest, AMalformedHashNeverVerifies) {
  absl::StatusOr<std::string> hash = HashPassword(kPassword);
  ASSERT_TRUE(hash.ok()) << hash.status();
  std::string flipped = *hash;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  std::string argon2i = *hash;
  argon2i.replace(0, 9, "$argon2i");
  for (const std::string& bad :
       {std::string(), std::string("$argon2id$"), std::string("plaintext"), std::string(kPassword),
        hash->substr(0, hash->size() - 10), flipped, argon2i,
        std::string("$argon2id$v=19$m=19456,t=2,p=1$$"),
        std::string("$argon2id$v=19$m=x,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA"),
        *hash + std::string("\0tail", 5)}) {
    EXPECT_FALSE(VerifyPassword(kPassword, bad)) << bad;
  }
}

TEST(CheckPasswordTest, AcceptsTenTo1024BytesOfText) {
  for (const std::string& ok : {std::string("0123456789"), std::string(1024, 'x'),
                                std::string("Grüße, 日本語 🚀!"), std::string(kPassword)}) {
    EXPECT_TRUE(CheckPassword(ok).ok()) << ok.size();
  }
}

TEST(CheckPasswordTest, RefusesSayingWhatIsWrongWithoutEchoingThePassword) {
  struct Case {
    std::string password;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"", "too short: 0 bytes"},
           {"secret123", "too short: 9 bytes"},
           {std::string(1025, 'y'), "too long: 1025 bytes"},
           {"secretsecret\n", "control character (character 13)"},
           {"secret\tsecret", "control character (character 7)"},
           {std::string("secret\0secret", 13), "control character"},
           {"secretsecret\x7f", "control character"},
           {"secretsecret\xc2\x85", "control character"},
           {"secretsecret\xff", "not valid UTF-8 (byte 13)"},
           {"secretsecret\xc0\xaf", "not valid UTF-8"},
           {"secretsecret\xed\xa0\x80", "not valid UTF-8"},
       }) {
    absl::Status s = CheckPassword(c.password);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.says;
    EXPECT_THAT(s.message(), HasSubstr(c.says));
    EXPECT_THAT(s.message(), HasSubstr("nothing was changed"));
    EXPECT_THAT(s.message(), Not(HasSubstr("secret")));
  }
}

TEST(CheckUserNameTest, FollowsTheRule) {
  for (const std::string& ok : {std::string("a"), std::string("alice"), std::string("0ps"),
                                std::string("j.doe_2-x"), std::string(64, 'z')}) {
    EXPECT_TRUE(CheckUserName(ok).ok()) << ok;
  }
  for (const std::string& bad :
       {std::string(), std::string("Alice"), std::string(".alice"), std::string("-x"),
        std::string("_x"), std::string("al ice"), std::string("al/ice"), std::string(65, 'z'),
        std::string("bob\n"), std::string("émile"), std::string("a:b")}) {
    absl::Status s = CheckUserName(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(s.message(), HasSubstr("a-z, 0-9")) << bad;
  }
  EXPECT_THAT(CheckUserName("bob\n").message(), HasSubstr("\"bob\\n\""));
}

TEST(RoleTest, NamesParseAndAllow) {
  for (Role r : {Role::kViewer, Role::kOperator, Role::kAdmin}) {
    absl::StatusOr<Role> parsed = ParseRole(RoleName(r));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, r);
  }
  EXPECT_STREQ(RoleName(Role::kOperator), "operator");
  absl::StatusOr<Role> bad = ParseRole("root");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("unknown role \"root\""));
  EXPECT_THAT(bad.status().message(), HasSubstr("\"viewer\", \"operator\", \"admin\""));
  EXPECT_TRUE(RoleAllows(Role::kAdmin, Role::kOperator));
  EXPECT_TRUE(RoleAllows(Role::kAdmin, Role::kViewer));
  EXPECT_TRUE(RoleAllows(Role::kOperator, Role::kOperator));
  EXPECT_TRUE(RoleAllows(Role::kOperator, Role::kViewer));
  EXPECT_FALSE(RoleAllows(Role::kOperator, Role::kAdmin));
  EXPECT_FALSE(RoleAllows(Role::kViewer, Role::kOperator));
}

TEST(TokensTest, TokensAreRandomBase64UrlAndHashToSha256Hex) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    absl::StatusOr<std::string> t = NewToken();
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_THAT(*t, MatchesRegex("[A-Za-z0-9_-]{43}"));
    seen.insert(*t);
  }
  EXPECT_EQ(seen.size(), 50u);
  EXPECT_EQ(TokenHash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(TokensEqual("abc", "abc"));
  EXPECT_FALSE(TokensEqual("abc", "abd"));
  EXPECT_FALSE(TokensEqual("abc", "ab"));
  EXPECT_EQ(RandomBytes(16)->size(), 16u);
}

TEST(TokensTest, RandomBytesFillsEveryByteAcrossShortReads) {
  // getrandom(2) returns at most 33554431 bytes per call: 40 MiB takes at least two reads.
  const size_t n = 40u << 20;
  absl::StatusOr<std::string> bytes = RandomBytes(n);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  ASSERT_EQ(bytes->size(), n);
  // The last MiB (beyond the first read) is random too, not the zeros it started as.
  const std::string tail = bytes->substr(n - (1u << 20));
  EXPECT_NE(tail, std::string(tail.size(), '\0'));
  EXPECT_GT(std::set<char>(tail.begin(), tail.end()).size(), 200u);
}

}  // namespace
}  // namespace relayguard::controller
