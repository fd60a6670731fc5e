// The messages an MTA accepted and has not finished with yet, by queue id, so that a delivery
// line ("to=... status=sent", Exim's "=>") can be tied to the client that sent the message.
// Bounded whatever the input: at most `max_open` entries (the oldest is dropped first), and an
// entry older than `expiry_s` (by the log's own time) is dropped.
#ifndef RELAYGUARD_AGENT_MONITOR_OPEN_MESSAGES_H_
#define RELAYGUARD_AGENT_MONITOR_OPEN_MESSAGES_H_

#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/strings/string_view.h"

namespace relayguard::agent {

struct OpenMessage {
  std::string queue_id;
  int64_t opened_s = 0;
  std::string client_address;  // "" until the MTA logged the client
  std::string client_name;
  bool authenticated = false;
  bool trusted = false;  // the client is inside RelayContext::trusted
  std::string sender;
  std::vector<std::string> lines;     // proof so far (client= and from= lines)
  std::vector<std::string> reported;  // recipients already reported (bounded)
};

class OpenMessages {
 public:
  static constexpr size_t kMaxReportedPerMessage = 100;
  static constexpr size_t kMaxLineBytes = 1024;

  OpenMessages(size_t max_open, int64_t expiry_s) : max_open_(max_open), expiry_s_(expiry_s) {}

  // The entry for `queue_id`, created (dropping the oldest when full) if there is none.
  OpenMessage& Open(absl::string_view queue_id, int64_t now_s);
  // The entry or nullptr. Drops expired entries first.
  OpenMessage* Find(absl::string_view queue_id, int64_t now_s);
  // Forgets one message (Postfix "removed", Exim "Completed"). Unknown ids are ignored.
  void Close(absl::string_view queue_id);

  size_t size() const { return by_id_.size(); }
  uint64_t dropped() const { return dropped_; }  // dropped for the bound or expired

  // Appends `line` cut to kMaxLineBytes, keeping at most `max` lines.
  static void AddLine(std::vector<std::string>& lines, absl::string_view line, size_t max);

 private:
  void Expire(int64_t now_s);

  size_t max_open_;
  int64_t expiry_s_;
  std::list<OpenMessage> order_;  // oldest first
  std::unordered_map<std::string, std::list<OpenMessage>::iterator> by_id_;
  uint64_t dropped_ = 0;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MONITOR_OPEN_MESSAGES_H_
