// Cuts a byte stream (a log file read in big chunks) into lines. Pure: no I/O.
#ifndef RELAYGUARD_AGENT_MONITOR_LINE_SPLITTER_H_
#define RELAYGUARD_AGENT_MONITOR_LINE_SPLITTER_H_

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

#include "agent/monitor/log_entry.h"

namespace relayguard::agent {

class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line = kMaxLogLine) : max_line_(max_line) {}

  // Adds bytes read from the stream. Complete lines become available to Next(); the rest waits
  // for its newline. A line longer than max_line is kept cut at max_line and its rest is skipped
  // up to the newline, so memory stays bounded whatever the stream holds.
  void Append(std::string_view data);

  // Moves the next complete line (without its newline) to `line` and sets `bytes` to what it
  // took of the stream, newline included. False when no complete line is waiting.
  bool Next(std::string& line, size_t& bytes);

  // The unfinished last line as a line (for a file that will never be written again, e.g. a
  // rotated one). False when there is none.
  bool TakePartial(std::string& line, size_t& bytes);

  bool has_line() const { return !ready_.empty(); }
  bool has_partial() const { return partial_bytes_ > 0; }
  void Clear();

 private:
  struct Line {
    std::string text;
    size_t bytes;
  };
  void AppendToPartial(std::string_view piece);

  size_t max_line_;
  std::deque<Line> ready_;
  std::string partial_;          // the unfinished line so far, at most max_line_ bytes
  size_t partial_bytes_ = 0;     // its length in the stream (more than partial_ when cut)
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MONITOR_LINE_SPLITTER_H_
