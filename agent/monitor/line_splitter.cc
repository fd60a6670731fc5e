#include "agent/monitor/line_splitter.h"

#include <cstring>
#include <utility>

namespace relayguard::agent {

void LineSplitter::AppendToPartial(std::string_view piece) {
  partial_bytes_ += piece.size();
  if (partial_.size() < max_line_) {
    partial_.append(piece.substr(0, max_line_ - partial_.size()));
  }
}

void LineSplitter::Append(std::string_view data) {
  while (!data.empty()) {
    const void* nl = std::memchr(data.data(), '\n', data.size());
    if (nl == nullptr) {
      AppendToPartial(data);
      return;
    }
    size_t len = static_cast<const char*>(nl) - data.data();
    AppendToPartial(data.substr(0, len));
    ready_.push_back(Line{std::move(partial_), partial_bytes_ + 1});
    partial_.clear();
    partial_bytes_ = 0;
    data.remove_prefix(len + 1);
  }
}

bool LineSplitter::Next(std::string& line, size_t& bytes) {
  if (ready_.empty()) return false;
  line = std::move(ready_.front().text);
  bytes = ready_.front().bytes;
  ready_.pop_front();
  return true;
}

bool LineSplitter::TakePartial(std::string& line, size_t& bytes) {
  if (!ready_.empty() || partial_bytes_ == 0) return false;
  line = std::move(partial_);
  bytes = partial_bytes_;
  partial_.clear();
  partial_bytes_ = 0;
  return true;
}

void LineSplitter::Clear() {
  ready_.clear();
  partial_.clear();
  partial_bytes_ = 0;
}

}  // namespace relayguard::agent
