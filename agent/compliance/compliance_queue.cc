#include "agent/compliance/compliance_queue.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/apply/transaction_report.h"
#include "common/compliance_states.h"
#include "common/logging.h"

namespace relayguard::agent {
namespace {

constexpr char kSuffix[] = ".report";

FileInfo Private() { return FileInfo{0600, getuid(), getgid(), true}; }

std::string Key(const std::string& policy, uint64_t version) {
  return absl::StrCat(policy, " v", version);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ComplianceQueue>> ComplianceQueue::Open(FileSystem& fs,
                                                                        const std::string& dir,
                                                                        size_t max_entries) {
  if (absl::Status s = fs.MakeDirs(dir); !s.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create the compliance queue ", dir, ": ", s.message()));
  }
  std::unique_ptr<ComplianceQueue> q(new ComplianceQueue(fs, dir, max_entries));
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    uint64_t seq = 0;
    if (name.size() > sizeof(kSuffix) - 1 &&
        name.compare(name.size() - (sizeof(kSuffix) - 1), std::string::npos, kSuffix) == 0 &&
        absl::SimpleAtoi(name.substr(0, name.size() - (sizeof(kSuffix) - 1)), &seq)) {
      q->entries_[seq] = true;
      q->last_seq_ = std::max(q->last_seq_, seq);
    }
  }
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot list the compliance queue ", dir, ": ", ec.message()));
  }
  if (absl::StatusOr<std::string> last = fs.ReadFile(dir + "/last-seq"); last.ok()) {
    uint64_t v = 0;
    if (absl::SimpleAtoi(*last, &v)) q->last_seq_ = std::max(q->last_seq_, v);
  }
  return q;
}

std::string ComplianceQueue::PathOf(uint64_t seq) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu", static_cast<unsigned long long>(seq));
  return absl::StrCat(dir_, "/", name, kSuffix);
}

absl::StatusOr<uint64_t> ComplianceQueue::Push(
    const std::function<std::string(uint64_t seq)>& make) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t seq = last_seq_ + 1;
  // The number first: a crash between the two writes skips a number, never reuses one.
  if (absl::Status s = fs_.WriteFileAtomic(dir_ + "/last-seq", absl::StrCat(seq, "\n"), Private());
      !s.ok()) {
    return s;
  }
  last_seq_ = seq;
  if (absl::Status s = fs_.WriteFileAtomic(PathOf(seq), make(seq), Private()); !s.ok()) return s;
  entries_[seq] = true;
  while (entries_.size() > max_entries_) {
    const uint64_t oldest = entries_.begin()->first;
    Logger("agent.compliance")
        ->warn("compliance queue holds more than {} reports: dropping report {} undelivered",
               max_entries_, oldest);
    (void)fs_.RemoveFile(PathOf(oldest));
    entries_.erase(entries_.begin());
  }
  return seq;
}

std::vector<std::pair<uint64_t, std::string>> ComplianceQueue::PendingAfter(uint64_t after,
                                                                           size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<uint64_t, std::string>> out;
  for (auto it = entries_.upper_bound(after); it != entries_.end() && out.size() < limit; ++it) {
    absl::StatusOr<std::string> data = fs_.ReadFile(PathOf(it->first));
    if (!data.ok()) {
      Logger("agent.compliance")->warn("cannot read queued report {}: {}", it->first,
                                       data.status().message());
      continue;
    }
    out.emplace_back(it->first, std::move(*data));
  }
  return out;
}

void ComplianceQueue::Ack(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.erase(seq) == 0) return;
  if (absl::Status s = fs_.RemoveFile(PathOf(seq)); !s.ok()) {
    Logger("agent.compliance")->warn("cannot remove delivered report {}: {}", seq, s.message());
  }
}

size_t ComplianceQueue::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

uint64_t ComplianceQueue::last_seq() {
  std::lock_guard<std::mutex> lock(mu_);
  return last_seq_;
}

// ---- EnforceState: one line per entry, "suspended POLICY VERSION" or
// "held POLICY VERSION REASON" (policy names have no spaces; the reason is one line). The
// first word is the Enforcement's name that the gate leads to.

EnforceState::EnforceState(FileSystem& fs, std::string path) : fs_(fs), path_(std::move(path)) {
  absl::StatusOr<std::string> text = fs_.ReadFile(path_);
  if (!text.ok()) return;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(' ', 3));
    uint64_t version = 0;
    if (parts.size() < 3 || !absl::SimpleAtoi(parts[2], &version)) continue;
    absl::StatusOr<Enforcement> kind = ParseEnforcement(parts[0]);
    if (!kind.ok()) continue;
    if (*kind == Enforcement::kSuspended) suspended_[Key(parts[1], version)] = true;
    if (*kind == Enforcement::kHeld) {
      held_[Key(parts[1], version)] = parts.size() > 3 ? parts[3] : "held";
    }
  }
}

bool EnforceState::Suspended(const std::string& policy, uint64_t version) {
  std::lock_guard<std::mutex> lock(mu_);
  return suspended_.count(Key(policy, version)) > 0;
}

std::string EnforceState::Held(const std::string& policy, uint64_t version) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(Key(policy, version));
  return it == held_.end() ? "" : it->second;
}

absl::Status EnforceState::Suspend(const std::string& policy, uint64_t version) {
  std::lock_guard<std::mutex> lock(mu_);
  suspended_[Key(policy, version)] = true;
  return Save();
}

absl::Status EnforceState::Hold(const std::string& policy, uint64_t version,
                                const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  held_[Key(policy, version)] = reason.empty() ? "held" : OneLine(reason);
  return Save();
}

absl::Status EnforceState::Save() {
  std::string text;
  auto split = [](const std::string& key) {  // "name vN" -> "name N"
    size_t sp = key.rfind(" v");
    return absl::StrCat(key.substr(0, sp), " ", key.substr(sp + 2));
  };
  for (const auto& [key, unused] : suspended_) {
    absl::StrAppend(&text, EnforcementName(Enforcement::kSuspended), " ", split(key), "\n");
  }
  for (const auto& [key, reason] : held_) {
    absl::StrAppend(&text, EnforcementName(Enforcement::kHeld), " ", split(key), " ", reason, "\n");
  }
  return fs_.WriteFileAtomic(path_, text, Private());
}

}  // namespace relayguard::agent
