#include "agent/monitor/journal_follower.h"

#include <poll.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"

namespace relayguard::agent {
namespace {

constexpr std::chrono::milliseconds kNoFdInterval{1000};

std::string Errno(int negative_errno) { return std::strerror(-negative_errno); }

// The value of `field` in the current entry ("" when absent), at most `max` bytes of it.
std::string Field(sd_journal* j, const char* field, size_t max) {
  const void* data = nullptr;
  size_t len = 0;
  if (sd_journal_get_data(j, field, &data, &len) < 0) return "";
  size_t prefix = std::strlen(field) + 1;  // "FIELD="
  if (len < prefix) return "";
  return std::string(static_cast<const char*>(data) + prefix, std::min(len - prefix, max));
}

uint64_t MonotonicUsec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace

std::vector<std::string> DefaultJournalMatches(const std::string& mta_kind) {
  std::vector<std::string> matches;
  auto identifiers = [&](std::initializer_list<const char*> names) {
    for (const char* name : names) matches.push_back(absl::StrCat("SYSLOG_IDENTIFIER=", name));
  };
  if (mta_kind == "postfix") {
    matches = {"_SYSTEMD_UNIT=postfix@-.service", "_SYSTEMD_UNIT=postfix.service"};
    identifiers({"postfix/smtpd", "postfix/submission/smtpd", "postfix/smtps/smtpd",
                 "postfix/postscreen", "postfix/cleanup", "postfix/qmgr", "postfix/smtp",
                 "postfix/lmtp", "postfix/local", "postfix/virtual", "postfix/pipe",
                 "postfix/error", "postfix/discard", "postfix/bounce"});
  } else if (mta_kind == "exim") {
    matches = {"_SYSTEMD_UNIT=exim4.service"};
    identifiers({"exim", "exim4"});
  } else if (mta_kind == "sendmail") {
    matches = {"_SYSTEMD_UNIT=sendmail.service"};
    identifiers({"sm-mta", "sendmail", "sm-msp-queue"});
  }
  return matches;
}

absl::StatusOr<std::unique_ptr<JournalFollower>> JournalFollower::Open(
    JournalFollowerOptions options, FileSystem& fs) {
  sd_journal* j = nullptr;
  int r = options.directory.empty() ? sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY)
                                    : sd_journal_open_directory(&j, options.directory.c_str(), 0);
  std::string where = options.directory.empty() ? "the local journal"
                                                : "the journal in " + options.directory;
  if (r < 0) return absl::UnavailableError(absl::StrCat("cannot open ", where, ": ", Errno(r)));
  for (const std::string& match : options.matches) {
    r = sd_journal_add_match(j, match.data(), match.size());
    if (r >= 0) r = sd_journal_add_disjunction(j);
    if (r < 0) {
      sd_journal_close(j);
      return absl::InvalidArgumentError(absl::StrCat(
          "journal match \"", match, "\" is not FIELD=value (", Errno(r), ")"));
    }
  }
  // MESSAGE fields up to kMaxLogLine come whole (the default threshold is 64 KiB as well).
  sd_journal_set_data_threshold(j, kMaxLogLine + sizeof("MESSAGE="));
  if (options.name.empty()) options.name = absl::StrJoin(options.matches, " ");
  return std::unique_ptr<JournalFollower>(new JournalFollower(std::move(options), fs, j));
}

JournalFollower::JournalFollower(JournalFollowerOptions options, FileSystem& fs,
                                 sd_journal* journal)
    : options_(std::move(options)), fs_(fs), journal_(journal), log_(Logger("agent.monitor")) {
  // Before the first read, so that no change between reading and waiting goes unnoticed.
  int fd = sd_journal_get_fd(journal_);
  if (fd < 0) {
    log_->warn("{}: no journal fd ({}); looking every second", Describe(), Errno(fd));
  }
}

JournalFollower::~JournalFollower() { sd_journal_close(journal_); }

void JournalFollower::Start() {
  started_ = true;
  std::string cursor;
  if (!options_.cursor_file.empty()) {
    absl::StatusOr<std::string> text = fs_.ReadFile(options_.cursor_file);
    if (text.ok()) {
      cursor = std::string(absl::StripAsciiWhitespace(*text));
    } else if (!absl::IsNotFound(text.status())) {
      log_->warn("{}: cannot read the saved cursor ({}); starting at the tail", Describe(),
                 text.status().message());
    }
  }
  if (!cursor.empty()) {
    int r = sd_journal_seek_cursor(journal_, cursor.c_str());
    if (r >= 0) {
      cursor_ = cursor;
      r = sd_journal_next(journal_);
      // The saved entry itself was handed out before; when it is gone (vacuumed), the seek
      // lands on the next one, which was not.
      if (r > 0 && sd_journal_test_cursor(journal_, cursor.c_str()) <= 0) pending_current_ = true;
      return;
    }
    log_->warn("{}: cannot seek to the saved cursor in {} ({}); starting at the tail",
               Describe(), options_.cursor_file, Errno(r));
  }
  sd_journal_seek_tail(journal_);
  if (sd_journal_previous(journal_) > 0) {
    char* c = nullptr;
    if (sd_journal_get_cursor(journal_, &c) >= 0) {
      cursor_ = c;
      free(c);
    }
    return;
  }
  // No matching entry yet: every one that comes is new. (Seen with systemd 252: from the tail
  // of an empty match, sd_journal_next skipped the first entry that arrived; from the head it
  // does not. journal_follower_test covers both starts.)
  sd_journal_seek_head(journal_);
}

LogEntry JournalFollower::ToEntry() {
  LogEntry entry;
  entry.from_journal = true;
  entry.text = Field(journal_, "MESSAGE", kMaxLogLine);
  entry.identifier = Field(journal_, "SYSLOG_IDENTIFIER", 256);
  if (!absl::SimpleAtoi(Field(journal_, "_PID", 32), &entry.pid) &&
      !absl::SimpleAtoi(Field(journal_, "SYSLOG_PID", 32), &entry.pid)) {
    entry.pid = 0;
  }
  uint64_t usec = 0;
  if (sd_journal_get_realtime_usec(journal_, &usec) >= 0) entry.time_us = usec;
  return entry;
}

absl::Status JournalFollower::Read(std::vector<LogEntry>& out, size_t max) {
  if (!started_) Start();
  for (size_t got = 0; got < max; ++got) {
    if (pending_current_) {
      pending_current_ = false;
    } else {
      int r = sd_journal_next(journal_);
      if (r < 0) {
        return absl::UnavailableError(absl::StrCat("cannot read ", Describe(), ": ", Errno(r)));
      }
      if (r == 0) break;  // nothing new yet: wait, this is not the end
    }
    out.push_back(ToEntry());
    char* c = nullptr;
    if (sd_journal_get_cursor(journal_, &c) >= 0) {
      cursor_ = c;
      free(c);
    }
  }
  return absl::OkStatus();
}

void JournalFollower::Wait(std::chrono::milliseconds timeout) {
  int fd = sd_journal_get_fd(journal_);
  std::chrono::milliseconds wait = fd < 0 ? std::min(timeout, kNoFdInterval) : timeout;
  int timeout_ms = static_cast<int>(std::clamp<int64_t>(wait.count(), 0, 24 * 3600 * 1000));
  uint64_t until = 0;
  if (fd >= 0 && sd_journal_get_timeout(journal_, &until) >= 0 && until != UINT64_MAX) {
    uint64_t now = MonotonicUsec();
    int journal_ms = until <= now ? 0 : static_cast<int>((until - now + 999) / 1000);
    timeout_ms = std::min(timeout_ms, journal_ms);
  }
  pollfd fds[2] = {{wake_.fd(), POLLIN, 0}, {fd, POLLIN, 0}};
  int ready = poll(fds, fd >= 0 ? 2 : 1, timeout_ms);
  if (ready > 0 && fds[0].revents) wake_.Clear();
  sd_journal_process(journal_);
}

absl::Status JournalFollower::SavePosition() {
  if (options_.cursor_file.empty() || cursor_.empty()) return absl::OkStatus();
  FileInfo info;
  info.mode = 0600;
  info.uid = geteuid();
  info.gid = getegid();
  absl::Status written = fs_.WriteFileAtomic(options_.cursor_file, cursor_ + "\n", info);
  if (!written.ok()) {
    return absl::Status(written.code(), absl::StrCat("cannot save the position in ",
                                                     Describe(), ": ", written.message()));
  }
  return absl::OkStatus();
}

}  // namespace relayguard::agent
