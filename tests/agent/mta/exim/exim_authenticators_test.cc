// The pure SMTP AUTH parts of the Exim editor: relayguard's authenticators, the RCPT ACL's accept
// for authenticated clients, and the compliance check of both, on lab and Debian texts.
#include "agent/mta/exim/exim_authenticators.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/agent/mta/exim/exim_test_files.h"

namespace relayguard::agent::exim {
namespace {

using testing::Diff;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::LineDiff;
using testing::Lines;
using testing::ReadDebian;

// The lab's monolithic configuration (deploy/lab/exim-instance.sh), shortened.
constexpr char kLab[] =
    "primary_hostname = lab.test\n"
    "daemon_smtp_ports = 2525\n"
    "domainlist local_domains    = @ : localhost\n"
    "hostlist   relay_from_hosts = 127.0.0.1/32\n"
    "acl_smtp_rcpt = acl_check_rcpt\n"
    "\n"
    "begin acl\n"
    "\n"
    "acl_check_rcpt:\n"
    "  accept  hosts       = :\n"
    "  accept  hosts       = +relay_from_hosts\n"
    "  require message     = relay not permitted\n"
    "          domains     = +local_domains : +relay_to_domains\n"
    "  require verify      = recipient\n"
    "  accept\n"
    "\n"
    "begin routers\n"
    "\n"
    "begin retry\n"
    "*  *  F,1h,10m\n";

Listener MakeListener(const std::string& ip, uint16_t port, ListenerRole role,
                      const std::string& bind = "") {
  Listener l;
  l.endpoint.host = *ParseIpAddress(ip);
  l.endpoint.port = port;
  l.bind = bind.empty() ? ip : bind;
  l.role = role;
  return l;
}

AuthSettings Settings(SaslBackend backend, bool tls_only) {
  AuthSettings a;
  a.backend = backend;
  a.path = backend == SaslBackend::kDovecot ? "/run/dovecot/auth-client" : "/etc/exim4/passwd";
  a.tls_only = tls_only;
  return a;
}

EximAuthWant Want(SaslBackend backend, bool tls_only) {
  return AuthWantFor(Settings(backend, tls_only),
                     {MakeListener("127.0.0.1", 2525, ListenerRole::kRelay)});
}

std::string MustEdit(const std::string& text, const EximAuthWant& want) {
  absl::StatusOr<EximEdit> e = EditAuthenticators(text, want, "/etc/exim4/exim4.conf");
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? e->text : "";
}

TEST(AdvertiseConditionTest, TlsAndListenerRestrictions) {
  const Listener relay = MakeListener("127.0.0.1", 25, ListenerRole::kRelay);
  const Listener sub = MakeListener("127.0.0.1", 587, ListenerRole::kSubmission);
  const Listener smtps = MakeListener("127.0.0.1", 465, ListenerRole::kSubmission);
  const Listener relay_other_ip = MakeListener("127.0.0.2", 25, ListenerRole::kRelay);
  struct Case {
    std::string name;
    bool tls_only;
    bool relay_offers;
    std::vector<Listener> listeners;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"all listeners, no TLS rule", false, true, {relay, sub}, ""},
      {"all listeners, TLS only", true, true, {relay, sub}, "${if !eq{$tls_in_cipher}{}{yes}{no}}"},
      {"submission only", false, false, {relay, sub}, "${if eq{$received_port}{587}{yes}{no}}"},
      {"submission only, TLS only",
       true,
       false,
       {relay, sub},
       "${if and{{!eq{$tls_in_cipher}{}}{eq{$received_port}{587}}}{yes}{no}}"},
      {"two submission ports",
       false,
       false,
       {relay, sub, smtps},
       "${if or{{eq{$received_port}{587}}{eq{$received_port}{465}}}{yes}{no}}"},
      {"no listener offers it", true, false, {relay}, "no"},
  };
  for (const Case& c : cases) {
    AuthSettings a = Settings(SaslBackend::kPasswordFile, c.tls_only);
    a.listeners.relay = c.relay_offers;
    EXPECT_EQ(AdvertiseCondition(AuthWantFor(a, c.listeners)), c.want) << c.name;
  }
  // A port two listeners share: the address tells them apart.
  AuthSettings a = Settings(SaslBackend::kPasswordFile, false);
  a.listeners.relay = false;
  a.listeners.endpoints.push_back(relay.endpoint);
  EXPECT_EQ(AdvertiseCondition(AuthWantFor(a, {relay, relay_other_ip})),
            "${if and{{eq{$received_port}{25}}{eq{$received_ip_address}{127.0.0.1}}}{yes}{no}}");
}

TEST(EditAuthenticatorsTest, AppendsAnAuthenticatorsPartWithThePasswordFileAuthenticators) {
  const std::string out = MustEdit(kLab, Want(SaslBackend::kPasswordFile, true));
  LineDiff d = Diff(kLab, out);
  EXPECT_THAT(d.removed, IsEmpty());
  const std::string cond = "  server_advertise_condition = ${if !eq{$tls_in_cipher}{}{yes}{no}}\n";
  EXPECT_THAT(
      d.added,
      ElementsAre(
          "\n", "begin authenticators\n", "\n", std::string(kAuthMarker) + "\n",
          "relayguard_plain:\n", "  driver = plaintext\n", "  public_name = PLAIN\n",
          "  server_prompts = :\n",
          "  server_condition = ${if crypteq{$auth3}{${extract{1}{:}{${lookup{$auth2}lsearch{"
          "/etc/exim4/passwd}{$value}{*:*}}}}}}\n",
          "  server_set_id = $auth2\n", cond, "relayguard_login:\n", "  driver = plaintext\n",
          "  public_name = LOGIN\n", "  server_prompts = \"Username:: : Password::\"\n",
          "  server_condition = ${if crypteq{$auth2}{${extract{1}{:}{${lookup{$auth1}lsearch{"
          "/etc/exim4/passwd}{$value}{*:*}}}}}}\n",
          "  server_set_id = $auth1\n", cond));
}

TEST(EditAuthenticatorsTest, IsIdempotentForEveryShape) {
  const std::string with_part = std::string(kLab) +
                                "\nbegin authenticators\n\n# the admin's client side\n"
                                "smarthost_login:\n  driver = plaintext\n  public_name = LOGIN\n"
                                "  client_send = : user : secret\n";
  struct Case {
    std::string name;
    std::string text;
    EximAuthWant want;
  };
  const std::vector<Case> cases = {
      {"lab, password file", kLab, Want(SaslBackend::kPasswordFile, true)},
      {"lab, dovecot", kLab, Want(SaslBackend::kDovecot, false)},
      {"a client authenticator with the same public_name", with_part,
       Want(SaslBackend::kPasswordFile, true)},
      {"no final newline", std::string(kLab, sizeof(kLab) - 2),
       Want(SaslBackend::kPasswordFile, false)},
      {"Debian's conf.d/auth examples (a fragment)",
       ReadDebian("etc/exim4/conf.d/auth/30_exim4-config_examples"),
       Want(SaslBackend::kPasswordFile, true)},
      {"Debian's exim4.conf.template", ReadDebian("etc/exim4/exim4.conf.template"),
       Want(SaslBackend::kDovecot, true)},
  };
  for (const Case& c : cases) {
    const std::string once = MustEdit(c.text, c.want);
    EXPECT_NE(once, c.text) << c.name;
    if (c.text.back() == '\n') {
      EXPECT_THAT(Diff(c.text, once).removed, IsEmpty()) << c.name;
    } else {
      // The last line gets an ending; the new last line keeps the file without one.
      EXPECT_THAT(Diff(c.text, once).removed, ElementsAre(Lines(c.text).back())) << c.name;
      EXPECT_NE(once.back(), '\n') << c.name;
    }
    absl::StatusOr<EximEdit> again = EditAuthenticators(once, c.want, "/x");
    ASSERT_TRUE(again.ok()) << c.name << ": " << again.status();
    EXPECT_EQ(again->text, once) << c.name;
    EXPECT_THAT(again->changed, IsEmpty()) << c.name;
    absl::StatusOr<std::vector<EximAuthenticator>> auths = ReadAuthenticators(once, "/x");
    ASSERT_TRUE(auths.ok()) << c.name;
    int ours = 0;
    for (const EximAuthenticator& a : *auths) ours += a.name.rfind("relayguard_", 0) == 0;
    EXPECT_EQ(ours, 2) << c.name;
    // The admin's authenticators keep every option (Debian's client `login` has them in
    // .ifndef blocks after its last plain line).
    absl::StatusOr<std::vector<EximAuthenticator>> before = ReadAuthenticators(c.text, "/x");
    ASSERT_TRUE(before.ok()) << c.name;
    auto admins = [](const std::vector<EximAuthenticator>& all) {
      std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> out;
      for (const EximAuthenticator& a : all) {
        if (a.name.rfind("relayguard_", 0) != 0) out.emplace_back(a.name, a.options);
      }
      return out;
    };
    EXPECT_EQ(admins(*auths), admins(*before)) << c.name;
  }
}

TEST(EditAuthenticatorsTest, ReplacesOnlyItsOwnAuthenticatorsInPlace) {
  EximAuthWant old_want = Want(SaslBackend::kPasswordFile, false);
  const std::string admin_tail =
      "\n# the admin's own\ncram:\n  driver = cram_md5\n"
      "  public_name = CRAM-MD5\n  server_secret = x\n";
  const std::string before = MustEdit(kLab, old_want) + admin_tail;
  EximAuthWant want = Want(SaslBackend::kDovecot, true);
  want.mechanisms = {AuthMechanism::kPlain};
  absl::StatusOr<EximEdit> e = EditAuthenticators(before, want, "/x");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_THAT(e->changed, ElementsAre("authenticators"));
  EXPECT_THAT(e->text, HasSubstr("relayguard_plain:\n  driver = dovecot\n  public_name = PLAIN\n"
                                 "  server_socket = /run/dovecot/auth-client\n"
                                 "  server_set_id = $auth1\n"));
  EXPECT_THAT(e->text, ::testing::Not(HasSubstr("relayguard_login")));
  EXPECT_THAT(e->text, ::testing::EndsWith(admin_tail));
  const std::string marker(kAuthMarker);
  EXPECT_EQ(e->text.find(marker), e->text.rfind(marker)) << "one marker";
}

TEST(EditAuthenticatorsTest, Refuses) {
  const std::string admin_plain =
      std::string(kLab) +
      "\nbegin authenticators\nplain_server:\n  driver = plaintext\n  public_name = PLAIN\n"
      "  server_condition = ${if eq{$auth3}{x}}\n";
  struct Case {
    std::string name;
    std::string text;
    EximAuthWant want;
    std::string error;
  };
  EximAuthWant saslauthd = Want(SaslBackend::kPasswordFile, true);
  saslauthd.backend = SaslBackend::kSaslauthd;
  EximAuthWant injected = Want(SaslBackend::kPasswordFile, true);
  injected.path = "/etc/x}{$value}";
  const std::vector<Case> cases = {
      {"an admin's server authenticator for PLAIN", admin_plain,
       Want(SaslBackend::kPasswordFile, true),
       "/etc/exim4/exim4.conf:23: authenticator plain_server already offers AUTH PLAIN"},
      {"saslauthd", kLab, saslauthd, "for Exim use auth.backend dovecot"},
      {"a path that is an expansion", kLab, injected, "cannot be written into Exim"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<EximEdit> e = EditAuthenticators(c.text, c.want, "/etc/exim4/exim4.conf");
    ASSERT_FALSE(e.ok()) << c.name;
    EXPECT_THAT(e.status().message(), HasSubstr(c.error)) << c.name;
    EXPECT_THAT(e.status().message(), HasSubstr("nothing was changed")) << c.name;
  }
}

TEST(EditAuthenticatedAcceptTest, InsertsBeforeTheRelayCheckOnlyWhenMissing) {
  absl::StatusOr<EximEdit> e = EditAuthenticatedAccept(kLab, "acl_check_rcpt", "/x");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_THAT(Diff(kLab, e->text).added, ElementsAre("  accept  authenticated = *\n"));
  EXPECT_THAT(e->text, HasSubstr("  accept  authenticated = *\n  require message     = relay"));
  absl::StatusOr<EximEdit> again = EditAuthenticatedAccept(e->text, "acl_check_rcpt", "/x");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->text, e->text);

  // Debian's stock ACL already has it (with control modifiers): nothing to add.
  const std::string debian = ReadDebian("etc/exim4/conf.d/acl/30_exim4-config_check_rcpt");
  absl::StatusOr<EximEdit> d = EditAuthenticatedAccept(debian, "acl_check_rcpt", "/x");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->text, debian);
  EXPECT_THAT(d->changed, IsEmpty());

  // The deny form that lets authenticated clients through to a later accept.
  const std::string deny_form =
      "begin acl\nacl_check_rcpt:\n  deny    message = relay not permitted\n"
      "         !domains = +local_domains : +relay_to_domains\n         !authenticated = *\n"
      "  accept  authenticated = *\n  accept\n";
  absl::StatusOr<EximEdit> f = EditAuthenticatedAccept(deny_form, "acl_check_rcpt", "/x");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->text, deny_form);

  absl::StatusOr<EximEdit> none =
      EditAuthenticatedAccept("begin acl\nacl_check_rcpt:\n  accept\n", "acl_check_rcpt", "/x");
  EXPECT_THAT(none.status().message(), HasSubstr("has no relay check"));
}

std::vector<std::string> Names(const std::vector<AuthFinding>& findings) {
  std::vector<std::string> out;
  for (const AuthFinding& f : findings) out.push_back(f.setting + " @" + f.where);
  return out;
}

TEST(AuthDriftTest, FindsWhatTheAuthPartLacks) {
  const EximAuthWant want = Want(SaslBackend::kPasswordFile, true);
  const std::vector<std::string> acls = {"acl_check_rcpt"};
  auto drift = [&](const std::string& text, const EximAuthWant& w) {
    absl::StatusOr<std::vector<AuthFinding>> f = AuthDrift(text, w, acls, "/c");
    EXPECT_TRUE(f.ok()) << f.status();
    return f.ok() ? Names(*f) : std::vector<std::string>{};
  };
  EXPECT_THAT(drift(kLab, want), ElementsAre("authenticator PLAIN @/c", "authenticator LOGIN @/c",
                                             "ACL acl_check_rcpt accept authenticated = * @/c:12"));

  std::string applied = MustEdit(kLab, want);
  applied = EditAuthenticatedAccept(applied, "acl_check_rcpt", "/c")->text;
  EXPECT_THAT(drift(applied, want), IsEmpty());

  // Written for plaintext, checked against tls_only: advertised without TLS, and the option
  // differs.
  std::string plaintext = MustEdit(kLab, Want(SaslBackend::kPasswordFile, false));
  plaintext = EditAuthenticatedAccept(plaintext, "acl_check_rcpt", "/c")->text;
  std::vector<std::string> found = drift(plaintext, want);
  EXPECT_THAT(found, ElementsAre("authenticator relayguard_plain server_advertise_condition @/c:26",
                                 "authenticator relayguard_login server_advertise_condition @/c:32",
                                 "AUTH on plaintext @/c:26", "AUTH on plaintext @/c:32"));

  // The admin's authenticators, Debian-style: guarded by $tls_in_cipher, so not on plaintext,
  // but not relayguard's.
  const std::string debian_style =
      applied +
      "debian_plain:\n  driver = plaintext\n  public_name = NTLM\n"
      "  server_condition = x\n"
      "  server_advertise_condition = ${if eq{$tls_in_cipher}{}{}{*}}\n";
  EXPECT_THAT(drift(debian_style, want), IsEmpty());

  // auth_advertise_hosts empty: AUTH is offered to no one.
  EXPECT_THAT(drift("auth_advertise_hosts =\n" + applied, want),
              ElementsAre("auth_advertise_hosts @/c:1"));
}

}  // namespace
}  // namespace relayguard::agent::exim
