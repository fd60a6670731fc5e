#include "agent/auth/auth_dialog.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace relayguard::agent {
namespace {

std::string PlainBlob(const std::string& user, const std::string& password) {
  std::string plain;
  plain.push_back('\0');
  plain += user;
  plain.push_back('\0');
  plain += password;
  return absl::Base64Escape(plain);
}

bool Offers(const std::vector<std::string>& offered, const std::string& mechanism) {
  return std::find(offered.begin(), offered.end(), mechanism) != offered.end();
}

AuthDialog CredentialDialog(std::string name, const std::string& user, const std::string& password,
                            AuthMechanism mechanism) {
  AuthDialog d;
  d.name = std::move(name);
  d.mechanism = AuthMechanismName(mechanism);
  if (mechanism == AuthMechanism::kPlain) {
    d.command = {absl::StrCat("AUTH PLAIN ", PlainBlob(user, password)),
                 absl::StrCat("AUTH PLAIN ", kSecret)};
    return d;
  }
  d.command = {"AUTH LOGIN", "AUTH LOGIN"};
  // The user name is not secret, but recorded plainly so a reader sees who tried.
  d.responses.push_back({absl::Base64Escape(user), absl::Base64Escape(user)});
  d.responses.push_back({absl::Base64Escape(password), kSecret});
  return d;
}

}  // namespace

AuthDialog SmokeDialog(const SmokeCredential& credential, AuthMechanism mechanism) {
  return CredentialDialog(absl::StrCat("smoke-", AuthMechanismName(mechanism)),
                          credential.username, credential.password.Reveal(), mechanism);
}

AuthDialog BogusDialog(BogusAuth kind, const std::string& user,
                       const std::vector<std::string>& offered, const std::string& random) {
  const std::string hex = absl::BytesToHexString(random.substr(0, 16));
  const AuthMechanism credential_mechanism =
      Offers(offered, "LOGIN") && !Offers(offered, "PLAIN") ? AuthMechanism::kLogin
                                                            : AuthMechanism::kPlain;
  AuthDialog d;
  switch (kind) {
    case BogusAuth::kWrongPassword:
      return CredentialDialog(BogusAuthName(kind), user, "rg-wrong-" + hex,
                              credential_mechanism);
    case BogusAuth::kUnknownUser:
      return CredentialDialog(BogusAuthName(kind), "rg-nosuchuser-" + hex.substr(0, 12),
                              "rg-bogus-" + hex.substr(12), credential_mechanism);
    case BogusAuth::kRandomPlainBlob: {
      d.mechanism = "PLAIN";
      const std::string blob = absl::Base64Escape(random.substr(0, 32));
      d.command = {"AUTH PLAIN " + blob, "AUTH PLAIN " + blob};  // random bytes: nothing secret
      break;
    }
    case BogusAuth::kMalformedPlain:
      d.mechanism = "PLAIN";
      d.command = {"AUTH PLAIN !!!notbase64", "AUTH PLAIN !!!notbase64"};
      break;
    case BogusAuth::kUnsupportedMech: {
      // CRAM-MD5 is the classic; when the server does offer it, a made-up name.
      d.mechanism = Offers(offered, "CRAM-MD5") ? "X-RELAYGUARD-BOGUS" : "CRAM-MD5";
      d.command = {"AUTH " + d.mechanism, "AUTH " + d.mechanism};
      // A server that prompts anyway gets a made-up answer it must refuse.
      const std::string answer = absl::Base64Escape("rg-nosuchuser " + hex);
      d.responses.push_back({answer, answer});
      break;
    }
  }
  d.name = BogusAuthName(kind);
  return d;
}

}  // namespace relayguard::agent
