#include "controller/cli/commands/users_password.h"

#include <termios.h>
#include <unistd.h>

#include <iostream>

#include "absl/strings/str_cat.h"

namespace relayguard::controller {
namespace {

// One line typed on the terminal behind standard input, with echo off (restored on the way out).
absl::StatusOr<std::string> PromptNoEcho(const std::string& prompt) {
  std::cerr << prompt << std::flush;
  termios before{};
  const bool have_tty = tcgetattr(STDIN_FILENO, &before) == 0;
  if (have_tty) {
    termios quiet = before;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;  // the Enter still moves to the next line
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  absl::StatusOr<std::string> line = PasswordFromStream(std::cin);
  if (have_tty) tcsetattr(STDIN_FILENO, TCSAFLUSH, &before);
  return line;
}

}  // namespace

absl::StatusOr<std::string> PasswordFromStream(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) {
    return absl::InvalidArgumentError("no password: standard input ended before a line");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

absl::StatusOr<std::string> ReadNewPassword(const std::string& user, bool from_stdin) {
  if (from_stdin) return PasswordFromStream(std::cin);
  if (!isatty(STDIN_FILENO)) {
    return absl::InvalidArgumentError(
        "standard input is not a terminal: give --password-stdin and the password as one line "
        "on standard input");
  }
  absl::StatusOr<std::string> first = PromptNoEcho(absl::StrCat("New password for ", user, ": "));
  if (!first.ok()) return first.status();
  absl::StatusOr<std::string> second = PromptNoEcho("Again: ");
  if (!second.ok()) return second.status();
  if (*first != *second) {
    return absl::InvalidArgumentError("the two passwords differ — nothing was changed");
  }
  return first;
}

}  // namespace relayguard::controller
