#include "tests/support/journal_lab.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

namespace relayguard::testing {
namespace {

bool HasJournalFile(const std::string& journal_dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(journal_dir, ec)) {
    if (entry.path().extension() == ".journal") return true;
  }
  return false;
}

}  // namespace

JournalLab::JournalLab() {
  char tmpl[] = "/tmp/rg-journal-lab-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    error_ = std::string("mkdtemp: ") + std::strerror(errno);
    return;
  }
  dir_ = tmpl;
  daemon_ = std::make_unique<Daemon>(
      std::vector<std::string>{"/bin/bash", RG_SOURCE_DIR "/tests/support/journal_lab.sh", dir_},
      dir_ + "/journald.log");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::filesystem::exists(dir_ + "/run/systemd/journal/socket") &&
        HasJournalFile(journal_dir())) {
      return;
    }
    if (waitpid(daemon_->pid(), nullptr, WNOHANG) == daemon_->pid()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  error_ = "systemd-journald did not start: " + daemon_->Log();
}

JournalLab::~JournalLab() {
  daemon_.reset();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

bool JournalLab::Send(const std::vector<std::pair<std::string, std::string>>& fields) {
  // Native protocol, binary-safe form for every field: NAME\n, 64-bit LE length, value, \n.
  std::string datagram;
  for (const auto& [name, value] : fields) {
    datagram += name + "\n";
    uint64_t len = value.size();
    for (int i = 0; i < 8; ++i) datagram.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
    datagram += value + "\n";
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int size = 4 * 1024 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = dir_ + "/run/systemd/journal/socket";
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ssize_t n = sendto(fd, datagram.data(), datagram.size(), 0,
                     reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(datagram.size())) {
    error_ = "send to " + path + ": " + std::strerror(err);
    return false;
  }
  return true;
}

int JournalLab::SystemdCat(const std::string& identifier, const std::string& text) {
  int in[2];
  if (pipe2(in, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    std::string target = std::to_string(daemon_->pid());
    execl("/usr/bin/nsenter", "nsenter", "--mount", "--target", target.c_str(),
          "/usr/bin/systemd-cat", "-t", identifier.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  [[maybe_unused]] ssize_t n = write(in[1], text.data(), text.size());
  close(in[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool JournalLab::WaitForMessage(const std::string& message) {
  sd_journal* j = nullptr;
  if (sd_journal_open_directory(&j, journal_dir().c_str(), 0) < 0) return false;
  std::string match = "MESSAGE=" + message;
  sd_journal_add_match(j, match.data(), match.size());
  bool found = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!found && std::chrono::steady_clock::now() < deadline) {
    sd_journal_seek_head(j);
    found = sd_journal_next(j) > 0;
    if (!found) sd_journal_wait(j, 100000);
  }
  sd_journal_close(j);
  return found;
}

}  // namespace relayguard::testing
