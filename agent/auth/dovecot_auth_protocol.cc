#include "agent/auth/dovecot_auth_protocol.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace relayguard::agent {

std::string DovecotClientHandshake(long pid) {
  return absl::StrCat("VERSION\t1\t2\nCPID\t", pid, "\n");
}

absl::Status AddDovecotHandshakeLine(const std::string& line, DovecotHandshake& handshake) {
  std::vector<std::string> fields = absl::StrSplit(line, '\t');
  if (fields[0] == "VERSION") {
    if (fields.size() < 3 || !absl::SimpleAtoi(fields[1], &handshake.major) ||
        !absl::SimpleAtoi(fields[2], &handshake.minor)) {
      return absl::InvalidArgumentError(absl::StrCat("malformed VERSION line \"", line, "\""));
    }
    if (handshake.major != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "speaks auth protocol ", handshake.major, ".", handshake.minor, ", not 1.x"));
    }
  } else if (fields[0] == "MECH") {
    if (fields.size() < 2 || fields[1].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("malformed MECH line \"", line, "\""));
    }
    handshake.mechanisms.push_back(fields[1]);
  } else if (fields[0] == "DONE") {
    handshake.done = true;
  }
  return absl::OkStatus();
}

std::string DovecotAuthPlainRequest(unsigned id, const std::string& username,
                                    const std::string& password, const std::string& remote_ip) {
  std::string plain;
  plain.push_back('\0');
  plain += username;
  plain.push_back('\0');
  plain += password;
  std::string line = absl::StrCat("AUTH\t", id, "\tPLAIN\tservice=smtp\tnologin");
  if (!remote_ip.empty()) absl::StrAppend(&line, "\trip=", remote_ip);
  absl::StrAppend(&line, "\tresp=", absl::Base64Escape(plain), "\n");
  return line;
}

DovecotAuthReply ParseDovecotAuthReply(const std::string& line) {
  DovecotAuthReply reply;
  std::vector<std::string> fields = absl::StrSplit(line, '\t');
  if (fields[0] == "OK") {
    reply.kind = DovecotAuthReply::Kind::kOk;
  } else if (fields[0] == "FAIL") {
    reply.kind = DovecotAuthReply::Kind::kFail;
  } else if (fields[0] == "CONT") {
    reply.kind = DovecotAuthReply::Kind::kContinue;
  } else {
    reply.reason = line;
    return reply;
  }
  if (fields.size() < 2 || !absl::SimpleAtoi(fields[1], &reply.id)) {
    reply.kind = DovecotAuthReply::Kind::kOther;
    reply.reason = line;
    return reply;
  }
  for (size_t i = 2; i < fields.size(); ++i) {
    const std::string& f = fields[i];
    if (f.rfind("user=", 0) == 0) reply.user = f.substr(5);
    if (f.rfind("reason=", 0) == 0) reply.reason = f.substr(7);
  }
  return reply;
}

}  // namespace relayguard::agent
