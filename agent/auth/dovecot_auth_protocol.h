// Dovecot's auth-client protocol 1.x (the one Postfix and Exim speak on the auth socket), as pure
// functions: the client's handshake, the server's handshake lines, one AUTH request and its
// answer. The socket work is in sasl_backend.cc.
#ifndef RELAYGUARD_AGENT_AUTH_DOVECOT_AUTH_PROTOCOL_H_
#define RELAYGUARD_AGENT_AUTH_DOVECOT_AUTH_PROTOCOL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace relayguard::agent {

// "VERSION\t1\t2\nCPID\t<pid>\n".
std::string DovecotClientHandshake(long pid);

// What the server's handshake said, line by line until DONE.
struct DovecotHandshake {
  int major = 0;
  int minor = 0;
  std::vector<std::string> mechanisms;  // "PLAIN", "LOGIN", in the server's order
  bool done = false;                    // DONE was seen: the handshake is complete
};

// Takes one server line into `handshake`. InvalidArgument for a VERSION whose major is not 1
// (the protocol changed: nothing else can be trusted) or a malformed VERSION/MECH line; other
// lines (SPID, CUID, COOKIE, unknown ones) are ignored as the protocol asks.
absl::Status AddDovecotHandshakeLine(const std::string& line, DovecotHandshake& handshake);

// "AUTH\t<id>\tPLAIN\tservice=smtp\tnologin[\trip=IP]\tresp=<base64(\0user\0password)>\n".
// Holds the secret: never log it.
std::string DovecotAuthPlainRequest(unsigned id, const std::string& username,
                                    const std::string& password, const std::string& remote_ip);

struct DovecotAuthReply {
  enum class Kind { kOk, kFail, kContinue, kOther };
  Kind kind = Kind::kOther;
  unsigned id = 0;
  std::string reason;  // FAIL's reason= (may be empty); for kOther the line itself
  std::string user;    // OK's or FAIL's user=
};
// Parses "OK\t1\tuser=u", "FAIL\t1\tuser=u\treason=...", "CONT\t1\t...".
DovecotAuthReply ParseDovecotAuthReply(const std::string& line);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_AUTH_DOVECOT_AUTH_PROTOCOL_H_
