#include "bench/auth_bench_targets.h"

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "agent/probe/smtp_client.h"
#include "tests/support/mta_lab.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/postfix_tls.h"
#include "tests/support/sasl_lab.h"

namespace relayguard::bench {
namespace {

using ::relayguard::testing::DovecotAuth;
using ::relayguard::testing::EximLab;
using ::relayguard::testing::kSmokeUser;
using ::relayguard::testing::LabTempDir;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::RandomPassword;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::SendmailLab;
using ::relayguard::testing::WriteFileOrDie;
using ::relayguard::testing::WriteSmokeCredentialFile;

constexpr std::chrono::milliseconds kSmtpTimeout{2000};

// True when 127.0.0.1:`port` greets and its EHLO lists STARTTLS.
bool OffersStartTls(int port) {
  agent::SmtpClient client;
  if (!client
           .Connect({*ParseIpAddress("127.0.0.1"), static_cast<uint16_t>(port)},
                    *ParseIpAddress("127.0.0.1"), kSmtpTimeout)
           .ok()) {
    return false;
  }
  absl::StatusOr<agent::SmtpReply> greeting = client.ReadReply(kSmtpTimeout);
  if (!greeting.ok() || greeting->code != 220) return false;
  if (!client.SendCommand("EHLO bench.lab.test").ok()) return false;
  absl::StatusOr<agent::SmtpReply> ehlo = client.ReadReply(kSmtpTimeout);
  (void)client.SendCommand("QUIT");
  return ehlo.ok() && ehlo->code == 250 && ehlo->text.find("STARTTLS") != std::string::npos;
}

// A reload or a daemon's start is asynchronous: the bench times the apply, not the lab's start.
void WaitForStartTls(const std::string& mta, int port) {
  for (int i = 0; i < 100; ++i) {
    if (OffersStartTls(port)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error(mta + " on 127.0.0.1:" + std::to_string(port) +
                           " does not offer STARTTLS 10 s after its start");
}

// A self-signed certificate and key for CN=mx.lab.test (RSA when `rsa`, else P-256); the key
// 0600 root, or 0644 when `world_readable_key` (Exim reads it as Debian-exim; Sendmail refuses
// a group- or world-readable key and then offers no STARTTLS).
void MakeCertificate(const std::string& cert, const std::string& key, bool rsa,
                     bool world_readable_key) {
  std::vector<std::string> argv = {"/usr/bin/openssl", "req", "-x509", "-newkey"};
  if (rsa) {
    argv.push_back("rsa:2048");
  } else {
    argv.insert(argv.end(), {"ec", "-pkeyopt", "ec_paramgen_curve:P-256"});
  }
  argv.insert(argv.end(),
              {"-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=mx.lab.test"});
  std::string out;
  if (RunCommand(argv, &out) != 0) throw std::runtime_error("openssl req failed: " + out);
  if (world_readable_key) std::filesystem::permissions(key, std::filesystem::perms(0644));
}

std::string AuthSectionFor(const std::string& backend, const std::string& path,
                           const std::string& credential) {
  return "auth:\n  backend: " + backend + "\n  path: " + path +
         "\n  mechanisms: [PLAIN, LOGIN]\n  tls_only: true\n  smoke_credential: " + credential +
         "\n";
}

class PostfixTarget : public AuthTarget {
 public:
  PostfixTarget() : password_(RandomPassword()) {
    dovecot_ = std::make_unique<DovecotAuth>(kSmokeUser, password_);
    credential_ = WriteSmokeCredentialFile(dir_.path(), kSmokeUser, password_);
  }
  std::string name() const override { return "postfix"; }
  std::string backend() const override { return "dovecot"; }
  bool penalises_failures() const override { return true; }
  void Start() override {
    lab_.Start();
    if (std::string error = ::relayguard::testing::EnablePostfixStartTls(lab_); !error.empty()) {
      throw std::runtime_error("STARTTLS for the Postfix lab: " + error);
    }
    dovecot_->Start();
    WaitForStartTls(name(), lab_.port());
  }
  void Stop() override {
    lab_.Stop();
    dovecot_->Stop();
  }
  std::vector<std::string> AgentArgv(const std::vector<std::string>& args) const override {
    return lab_.AgentArgv(args);
  }
  std::string work_dir() const override { return dir_.path(); }

 protected:
  std::string AuthSection() const override {
    return AuthSectionFor("dovecot", dovecot_->socket_path(), credential_);
  }

 private:
  // Declared in this order so that the MTA goes first, then Dovecot, then the files.
  LabTempDir dir_;
  std::string password_;
  std::string credential_;
  std::unique_ptr<DovecotAuth> dovecot_;
  PostfixLab lab_{"0.0.0.0/0"};
};

// An MTA lab (mta_lab.h) behind a backend that is a file, not a daemon: what the Exim and
// Sendmail targets share.
template <typename Lab>
class FileBackendTarget : public AuthTarget {
 public:
  template <typename... LabArgs>
  explicit FileBackendTarget(LabArgs&&... lab_args)
      : password_(RandomPassword()), lab_(std::forward<LabArgs>(lab_args)...) {}
  bool penalises_failures() const override { return false; }
  void Start() override {
    lab_.Start();
    WaitForStartTls(name(), lab_.port());
  }
  void Stop() override { lab_.Stop(); }
  std::vector<std::string> AgentArgv(const std::vector<std::string>& args) const override {
    return lab_.AgentArgv(args);
  }
  std::string work_dir() const override { return dir_.path(); }

 protected:
  std::string AuthSection() const override {
    return AuthSectionFor(backend(), backend_file_, credential_);
  }

  LabTempDir dir_;
  std::string password_;
  std::string credential_;
  std::string backend_file_;
  Lab lab_;
};

class EximTarget : public FileBackendTarget<EximLab> {
 public:
  EximTarget() : FileBackendTarget("127.0.0.1/32") {
    credential_ = WriteSmokeCredentialFile(dir_.path(), kSmokeUser, password_);
    backend_file_ = dir_.path() + "/exim-passwd";
    ::relayguard::testing::MakeEximPasswordFile(backend_file_, kSmokeUser, password_);
    // STARTTLS, as exim_auth_integration_test's TLS-only case turns it on (the lab has none).
    const std::string cert = lab_.dir() + "/tls-cert.pem";
    const std::string key = lab_.dir() + "/tls-key.pem";
    MakeCertificate(cert, key, /*rsa=*/false, /*world_readable_key=*/true);
    std::string conf = ReadFileOrDie(lab_.config_file());
    const std::string no_tls = "tls_advertise_hosts =\n";
    const size_t at = conf.find(no_tls);
    if (at == std::string::npos) {
      throw std::runtime_error(lab_.config_file() + " has no \"tls_advertise_hosts =\" line");
    }
    conf.replace(
        at, no_tls.size(),
        "tls_advertise_hosts = *\ntls_certificate = " + cert + "\ntls_privatekey = " + key + "\n");
    WriteFileOrDie(lab_.config_file(), conf);
  }
  std::string name() const override { return "exim"; }
  std::string backend() const override { return "password-file"; }
};

class SendmailTarget : public FileBackendTarget<SendmailLab> {
 public:
  SendmailTarget() : FileBackendTarget(/*open=*/false) {
    ::relayguard::testing::RequireSaslSandbox();
    // The sandbox's private /etc: the apply creates libsasl's Sendmail.conf, rollback removes it.
    std::filesystem::remove("/etc/sasl2/Sendmail.conf");
    credential_ = WriteSmokeCredentialFile(dir_.path(), kSmokeUser, password_);
    backend_file_ = dir_.path() + "/sasldb2";
    // Sendmail authenticates "smoke@lab.test" as user smoke in realm lab.test.
    ::relayguard::testing::MakeSasldb(backend_file_, ::relayguard::testing::kSmokeSystemUser, "lab.test",
                                      password_);
    // STARTTLS, as sendmail_auth_integration_test's TLS-only case turns it on: without the CA
    // settings Sendmail answers 454 to STARTTLS.
    const std::string cert = lab_.dir() + "/cert.pem";
    const std::string key = lab_.dir() + "/key.pem";
    MakeCertificate(cert, key, /*rsa=*/true, /*world_readable_key=*/false);
    lab_.AddMcLines("define(`confSERVER_CERT', `" + cert + "')dnl\n" +
                    "define(`confSERVER_KEY', `" + key + "')dnl\n" + "define(`confCACERT', `" +
                    cert + "')dnl\n" + "define(`confCACERT_PATH', `" + lab_.dir() + "')dnl\n");
    lab_.Rebuild();
  }
  std::string name() const override { return "sendmail"; }
  std::string backend() const override { return "sasldb"; }
};

}  // namespace

std::string AuthTarget::Playbook(const std::string& untrusted_source) const {
  return "name: require-auth-bench\nversion: 1\n"
         "relay:\n  trusted_networks: [127.0.0.1/32]\n  require_auth: true\n" +
         AuthSection() + "probe:\n  untrusted_source: " + untrusted_source +
         "\n  trusted_source: 127.0.0.1\n";
}

std::unique_ptr<AuthTarget> MakePostfixTarget() { return std::make_unique<PostfixTarget>(); }
std::unique_ptr<AuthTarget> MakeEximTarget() { return std::make_unique<EximTarget>(); }
std::unique_ptr<AuthTarget> MakeSendmailTarget() { return std::make_unique<SendmailTarget>(); }

}  // namespace relayguard::bench
