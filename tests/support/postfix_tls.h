// Test support: turning on STARTTLS in a started PostfixLab instance (a self-signed P-256
// certificate for CN=mx.lab.test made by the openssl command now, smtpd_tls_security_level =
// may, the tlsmgr service, then `postfix reload`). Header-only.
#ifndef RELAYGUARD_TESTS_SUPPORT_POSTFIX_TLS_H_
#define RELAYGUARD_TESTS_SUPPORT_POSTFIX_TLS_H_

#include <string>
#include <vector>

#include "tests/support/postfix_lab.h"

namespace relayguard::testing {

// Applies the TLS settings and `settings` (more postconf -e lines) and reloads. "" on success,
// else the failing command's output. The reload is asynchronous: wait until sessions offer
// STARTTLS before relying on it.
inline std::string EnablePostfixStartTls(const PostfixLab& lab,
                                         const std::vector<std::string>& settings = {}) {
  const std::string key = lab.config_dir() + "/tls-key.pem";
  const std::string cert = lab.config_dir() + "/tls-cert.pem";
  std::string out;
  if (RunCommand({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                  "-subj", "/CN=mx.lab.test"},
                 &out) != 0) {
    return "openssl req: " + out;
  }
  std::vector<std::string> postconf = {"/usr/sbin/postconf", "-c", lab.config_dir(), "-e",
                                       "smtpd_tls_security_level = may",
                                       "smtpd_tls_cert_file = " + cert,
                                       "smtpd_tls_key_file = " + key, "smtpd_tls_loglevel = 1"};
  postconf.insert(postconf.end(), settings.begin(), settings.end());
  if (RunCommand(postconf, &out) != 0) return "postconf -e: " + out;
  // smtpd gets its TLS entropy from tlsmgr (without it: "no entropy for TLS key generation:
  // disabling TLS support", and 454 to STARTTLS); Debian's master.cf has the same line.
  if (RunCommand({"/usr/sbin/postconf", "-c", lab.config_dir(), "-M",
                  "tlsmgr/unix=tlsmgr unix - - n 1000? 1 tlsmgr"},
                 &out) != 0) {
    return "postconf -M: " + out;
  }
  if (RunCommand({"/usr/sbin/postfix", "-c", lab.config_dir(), "reload"}, &out) != 0) {
    return "postfix reload: " + out;
  }
  return "";
}

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_POSTFIX_TLS_H_
