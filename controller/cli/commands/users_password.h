// Where relayguardctl users add|passwd gets the password: one line from standard input
// (--password-stdin, for scripts), or on a terminal a prompt without echo, asked twice. The
// password is never printed, not even in an error.
#ifndef RELAYGUARD_CONTROLLER_CLI_COMMANDS_USERS_PASSWORD_H_
#define RELAYGUARD_CONTROLLER_CLI_COMMANDS_USERS_PASSWORD_H_

#include <istream>
#include <string>

#include "absl/status/statusor.h"

namespace relayguard::controller {

// The first line of `in` without its line ending ("\n" or "\r\n"); InvalidArgument when `in`
// has no line at all.
absl::StatusOr<std::string> PasswordFromStream(std::istream& in);

// For `user`: from standard input when `from_stdin`, else prompted twice on the terminal
// (standard input must be one) with echo off; InvalidArgument when neither is possible or the
// two answers differ.
absl::StatusOr<std::string> ReadNewPassword(const std::string& user, bool from_stdin);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_CLI_COMMANDS_USERS_PASSWORD_H_
