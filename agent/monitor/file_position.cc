#include "agent/monitor/file_position.h"

#include <unistd.h>

#include <cstring>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace relayguard::agent {
namespace {

constexpr char kHeader[] = "relayguard-log-position 1";

uint64_t Fnv1a(const char* data, size_t size) {
  uint64_t hash = 14695981039346656037ull;
  for (size_t i = 0; i < size; ++i) {
    hash ^= static_cast<unsigned char>(data[i]);
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

std::string EncodeFilePosition(const std::string& log_path, const FilePosition& position) {
  std::string text = absl::StrCat(kHeader, "\npath ", log_path, "\ndevice ", position.device,
                                   "\ninode ", position.inode, "\noffset ", position.offset, "\n");
  if (position.first_line_hash) {
    absl::StrAppend(&text, "first_line_hash ", absl::Hex(*position.first_line_hash), "\n");
  }
  return text;
}

absl::StatusOr<FilePosition> ParseFilePosition(const std::string& text, const std::string& file) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  if (lines.empty() || lines[0] != kHeader) {
    return absl::DataLossError(
        absl::StrCat(file, ":1: not a relayguard log position (expected \"", kHeader, "\")"));
  }
  FilePosition position;
  bool have_inode = false, have_offset = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::pair<std::string, std::string> kv = absl::StrSplit(lines[i], absl::MaxSplits(' ', 1));
    auto& [key, value] = kv;
    bool ok = true;
    if (key == "path") {
      continue;  // for people reading the file; the follower's own path is what counts
    } else if (key == "device") {
      ok = absl::SimpleAtoi(value, &position.device);
    } else if (key == "inode") {
      ok = have_inode = absl::SimpleAtoi(value, &position.inode);
    } else if (key == "offset") {
      ok = have_offset = absl::SimpleAtoi(value, &position.offset);
    } else if (key == "first_line_hash") {
      uint64_t hash = 0;
      ok = absl::SimpleHexAtoi(value, &hash);
      position.first_line_hash = hash;
    } else {
      ok = false;
    }
    if (!ok) {
      return absl::DataLossError(
          absl::StrCat(file, ":", i + 1, ": unreadable line \"", lines[i].substr(0, 80), "\""));
    }
  }
  if (!have_inode || !have_offset) {
    return absl::DataLossError(absl::StrCat(file, ": no inode or offset line"));
  }
  return position;
}

std::optional<uint64_t> FirstLineHash(int fd) {
  char buf[kFirstLineHashBytes];
  ssize_t n = pread(fd, buf, sizeof buf, 0);
  if (n <= 0) return std::nullopt;
  const void* nl = std::memchr(buf, '\n', n);
  if (nl != nullptr) return Fnv1a(buf, static_cast<const char*>(nl) - buf);
  if (static_cast<size_t>(n) == sizeof buf) return Fnv1a(buf, sizeof buf);
  return std::nullopt;
}

}  // namespace relayguard::agent
