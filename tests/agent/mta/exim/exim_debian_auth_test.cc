// SMTP AUTH in Debian's configuration (exim_debian_auth.h): relayguard's conf.d/auth file, its
// block in exim4.conf.template, the RCPT ACL check and the TLS macro, on Debian's own files.
#include "agent/mta/exim/exim_debian_auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "agent/mta/exim/exim_config_text.h"
#include "tests/agent/mta/exim/exim_test_files.h"

namespace relayguard::agent::exim {
namespace {

using testing::Diff;
using ::testing::HasSubstr;
using testing::LineDiff;
using testing::Lines;
using testing::ReadDebian;

constexpr char kTemplate[] = "/etc/exim4/exim4.conf.template";
constexpr char kAuthFile[] = "/etc/exim4/conf.d/auth/05_relayguard_auth";

EximAuthWant Want(SaslBackend backend, bool tls_only) {
  EximAuthWant want;
  want.backend = backend;
  want.path = backend == SaslBackend::kDovecot ? "/run/dovecot/auth-client" : "/etc/exim4/passwd";
  want.mechanisms = {AuthMechanism::kPlain, AuthMechanism::kLogin};
  want.tls_only = tls_only;
  return want;
}

// The physical lines of `text` without their endings.
std::vector<std::string> Contents(const std::string& text) {
  std::vector<std::string> out = Lines(text);
  for (std::string& l : out) {
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
  }
  return out;
}

// The physical lines (0-based) of `text` that read `content`.
std::vector<size_t> LinesReading(const std::string& text, const std::string& content) {
  std::vector<size_t> out;
  std::vector<std::string> lines = Contents(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i] == content) out.push_back(i);
  }
  return out;
}

TEST(DebianSplitConfigTest, ReadsDcUseSplitConfigAsUpdateExim4ConfDoes) {
  struct Case {
    std::string text;
    bool split;
  };
  const std::vector<Case> cases = {
      {"dc_use_split_config='true'\n", true},
      {"dc_use_split_config='TRUE'\n", true},
      {"dc_use_split_config=true # comment\n", true},
      {"dc_use_split_config='false'\n", false},
      {"dc_relay_nets=''\n", false},  // unset: non-split
      {"dc_use_split_config='true'\ndc_use_split_config='false'\n", false},  // the last counts
      {"", false},
  };
  for (const Case& c : cases) {
    absl::StatusOr<bool> split = DebianSplitConfig(c.text, "/etc/exim4/update-exim4.conf.conf");
    ASSERT_TRUE(split.ok()) << c.text << split.status();
    EXPECT_EQ(*split, c.split) << c.text;
  }
  absl::StatusOr<bool> bad = DebianSplitConfig("dc_use_split_config=$(true)\n", "/u.conf");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("/u.conf:1"));
}

TEST(EditDebianAuthFileTest, CreatesTheFileWithHeaderAndAuthenticatorsAndIsIdempotent) {
  const EximAuthWant want = Want(SaslBackend::kPasswordFile, /*tls_only=*/true);
  absl::StatusOr<EximEdit> created = EditDebianAuthFile("", want, kAuthFile);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_THAT(created->changed, ::testing::ElementsAre("authenticators"));
  const std::string& text = created->text;
  EXPECT_EQ(text.substr(0, std::string(kDebianAuthFileHeader).size()), kDebianAuthFileHeader);
  EXPECT_EQ(LinesReading(text, std::string(kAuthMarker)).size(), 1u);
  EXPECT_EQ(LinesReading(text, "relayguard_plain:").size(), 1u);
  EXPECT_EQ(LinesReading(text, "relayguard_login:").size(), 1u);
  EXPECT_THAT(text, HasSubstr("  driver = plaintext\n"));
  EXPECT_THAT(text, HasSubstr("crypteq"));
  EXPECT_THAT(text, HasSubstr("$tls_in_cipher"));
  EXPECT_EQ(text.find("begin "), std::string::npos) << "conf.d/auth/00_exim4-config_header "
                                                       "already begins the part";
  // A fragment Exim reads: every line a comment, blank, or part of relayguard's authenticators.
  absl::StatusOr<std::vector<EximAuthenticator>> read = ReadAuthenticators(text, kAuthFile);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0].public_name, "PLAIN");
  EXPECT_EQ((*read)[1].public_name, "LOGIN");

  absl::StatusOr<EximEdit> again = EditDebianAuthFile(text, want, kAuthFile);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->text, text);
  EXPECT_TRUE(again->changed.empty());
}

TEST(EditDebianAuthFileTest, RewritesOnlyRelayguardsLinesWhenThePolicyChanges) {
  absl::StatusOr<EximEdit> plain =
      EditDebianAuthFile("", Want(SaslBackend::kPasswordFile, true), kAuthFile);
  ASSERT_TRUE(plain.ok()) << plain.status();
  absl::StatusOr<EximEdit> dovecot =
      EditDebianAuthFile(plain->text, Want(SaslBackend::kDovecot, false), kAuthFile);
  ASSERT_TRUE(dovecot.ok()) << dovecot.status();
  EXPECT_THAT(dovecot->text, HasSubstr("  driver = dovecot\n"));
  EXPECT_THAT(dovecot->text, HasSubstr("  server_socket = /run/dovecot/auth-client\n"));
  EXPECT_THAT(dovecot->text, ::testing::Not(HasSubstr("tls_in_cipher")));
  EXPECT_THAT(dovecot->text, ::testing::Not(HasSubstr("crypteq")));
  EXPECT_EQ(dovecot->text.substr(0, std::string(kDebianAuthFileHeader).size()),
            kDebianAuthFileHeader);
  // Back to the first policy: the first file again, byte for byte.
  absl::StatusOr<EximEdit> back =
      EditDebianAuthFile(dovecot->text, Want(SaslBackend::kPasswordFile, true), kAuthFile);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->text, plain->text);
}

TEST(EditDebianTemplateTest, InsertsTheMarkedBlockRightAfterBeginAuthenticators) {
  const std::string before = ReadDebian("etc/exim4/exim4.conf.template");
  ASSERT_FALSE(before.empty());
  const EximAuthWant want = Want(SaslBackend::kPasswordFile, true);
  absl::StatusOr<EximEdit> edit = EditDebianTemplate(before, want, kTemplate);
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_THAT(edit->changed, ::testing::ElementsAre("authenticators"));
  // Only insertions, all right after "begin authenticators".
  const LineDiff diff = Diff(before, edit->text);
  EXPECT_TRUE(diff.removed.empty());
  const std::vector<size_t> begin = LinesReading(edit->text, "begin authenticators");
  ASSERT_EQ(begin.size(), 1u);
  const std::vector<size_t> marker = LinesReading(edit->text, std::string(kAuthMarker));
  ASSERT_EQ(marker.size(), 1u);
  EXPECT_EQ(marker[0], begin[0] + 2) << "a blank line, then the marker";
  // Everything before and after the block is the template, byte for byte.
  const size_t at = before.find("begin authenticators\n") + 21;
  EXPECT_EQ(edit->text.substr(0, at), before.substr(0, at));
  const std::string tail = before.substr(at);
  EXPECT_EQ(edit->text.substr(edit->text.size() - tail.size()), tail);
  // Debian's client authenticators (cram_md5, plain, login) stay, and stay client-only.
  absl::StatusOr<std::vector<EximAuthenticator>> read = ReadAuthenticators(edit->text, kTemplate);
  ASSERT_TRUE(read.ok()) << read.status();
  std::vector<std::string> names;
  for (const EximAuthenticator& a : *read) names.push_back(a.name);
  EXPECT_EQ(names[0], "relayguard_plain");
  EXPECT_EQ(names[1], "relayguard_login");
  EXPECT_THAT(names, ::testing::Contains("cram_md5"));

  absl::StatusOr<EximEdit> again = EditDebianTemplate(edit->text, want, kTemplate);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->text, edit->text);
  EXPECT_TRUE(again->changed.empty());

  // Another backend: the block is replaced where it is, nothing else moves.
  absl::StatusOr<EximEdit> dovecot =
      EditDebianTemplate(edit->text, Want(SaslBackend::kDovecot, true), kTemplate);
  ASSERT_TRUE(dovecot.ok()) << dovecot.status();
  EXPECT_EQ(LinesReading(dovecot->text, std::string(kAuthMarker)), marker);
  EXPECT_THAT(dovecot->text, HasSubstr("  driver = dovecot\n"));
}

TEST(EditDebianTemplateTest, RefusesAnAdminsServerAuthenticatorAndATemplateWithoutTheirPart) {
  std::string with_admin = ReadDebian("etc/exim4/exim4.conf.template");
  ASSERT_FALSE(with_admin.empty());
  with_admin += "\nplain_server:\n  driver = plaintext\n  public_name = PLAIN\n"
                "  server_condition = yes\n";
  absl::StatusOr<EximEdit> edit =
      EditDebianTemplate(with_admin, Want(SaslBackend::kPasswordFile, true), kTemplate);
  ASSERT_FALSE(edit.ok());
  EXPECT_THAT(edit.status().message(), HasSubstr("authenticator plain_server already offers"));
  EXPECT_THAT(edit.status().message(), HasSubstr(std::string(kTemplate) + ":"));
  EXPECT_THAT(edit.status().message(), HasSubstr("nothing was changed"));

  const std::string no_part = "primary_hostname = x\nbegin acl\nacl_check_rcpt:\n  accept\n";
  edit = EditDebianTemplate(no_part, Want(SaslBackend::kPasswordFile, true), kTemplate);
  ASSERT_FALSE(edit.ok());
  EXPECT_THAT(edit.status().message(), HasSubstr("no \"begin authenticators\""));
  EXPECT_THAT(edit.status().message(), HasSubstr("nothing was changed"));
}

TEST(DebianRcptAclTest, DebiansStockAclAlreadyAcceptsAuthenticatedClients) {
  // Debian's conf.d ACL as update-exim4.conf puts it together (split configuration).
  const std::string split = testing::DebianSplitConfig();
  ASSERT_FALSE(split.empty());
  absl::StatusOr<std::optional<size_t>> missing =
      MissingAuthenticatedAccept(split, "acl_check_rcpt", "generated");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(*missing, std::nullopt);
  // The template (non-split) has the same ACL.
  missing = MissingAuthenticatedAccept(ReadDebian("etc/exim4/exim4.conf.template"),
                                       "acl_check_rcpt", kTemplate);
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(*missing, std::nullopt);
}

TEST(DebianRcptAclTest, AnAclWithoutTheAcceptNamesTheRelayCheckLine) {
  const std::string split = testing::DebianSplitConfig();
  ASSERT_FALSE(split.empty());
  // An admin removed Debian's `accept authenticated = *` statement.
  const std::string without = absl::StrReplaceAll(
      split, {{"  accept\n    authenticated = *\n    control = submission/sender_retain\n"
               "    control = dkim_disable_verify\n",
               ""}});
  ASSERT_NE(without, split) << "Debian's ACL changed shape";
  absl::StatusOr<std::optional<size_t>> missing =
      MissingAuthenticatedAccept(without, "acl_check_rcpt", "generated");
  ASSERT_TRUE(missing.ok()) << missing.status();
  ASSERT_TRUE(missing->has_value());
  // The line is the relay check, `require` with domains = +local_domains : +relay_to_domains.
  const std::vector<std::string> lines = Contents(without);
  ASSERT_LT(**missing + 1, lines.size());
  EXPECT_EQ(lines[**missing], "  require");
  EXPECT_THAT(lines[**missing + 2], HasSubstr("+local_domains : +relay_to_domains"));
}

TEST(DefinesMacroTest, FindsMainTlsEnableInTheMainPartOnly) {
  EXPECT_TRUE(DefinesMacro("MAIN_TLS_ENABLE = yes\nbegin acl\n", "MAIN_TLS_ENABLE"));
  EXPECT_TRUE(DefinesMacro("  MAIN_TLS_ENABLE=true\n", "MAIN_TLS_ENABLE"));
  EXPECT_TRUE(DefinesMacro(".ifndef X\nMAIN_TLS_ENABLE = 1\n.endif\n", "MAIN_TLS_ENABLE"));
  EXPECT_FALSE(DefinesMacro("# MAIN_TLS_ENABLE = yes\n", "MAIN_TLS_ENABLE"));
  EXPECT_FALSE(DefinesMacro(".ifdef MAIN_TLS_ENABLE\ntls_advertise_hosts = *\n.endif\n",
                            "MAIN_TLS_ENABLE"));
  EXPECT_FALSE(DefinesMacro("MAIN_TLS_ENABLED = yes\n", "MAIN_TLS_ENABLE"));
  EXPECT_FALSE(DefinesMacro("begin acl\nMAIN_TLS_ENABLE = yes\n", "MAIN_TLS_ENABLE"));
  // Debian's stock files define it nowhere: TLS is off until the admin enables it.
  EXPECT_FALSE(DefinesMacro(testing::DebianSplitConfig(), "MAIN_TLS_ENABLE"));
}

}  // namespace
}  // namespace relayguard::agent::exim
