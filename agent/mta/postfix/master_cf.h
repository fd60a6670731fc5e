// Postfix master.cf: a parser/editor that reproduces an untouched file byte for byte and changes
// only the `-o name=value` overrides it is asked to (master(5): 8 columns, a line starting with
// whitespace continues the previous service, '#' lines and blank lines are ignored wherever they
// are, even between continuation lines; a `{ ... }` group is one word and may hold spaces).
// Services are found by the line they start on, the "where" relayguard reports.
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_MASTER_CF_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_MASTER_CF_H_

#include <map>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace relayguard::agent::postfix {

class MasterCf {
 public:
  struct Override {
    std::string name;
    std::string value;       // trimmed, braces unwrapped, continuation lines joined by one space
    int line = 0;            // 1-based physical line of the name=value word
    bool braced = false;     // written `-o { name = value }`
    size_t value_begin = 0;  // byte range of the value as written in Render()
    size_t value_end = 0;
  };
  struct Service {
    std::string name;                 // column 1: "smtp", "127.0.0.1:2525", "[::1]:25"
    std::string type;                 // column 2: inet, unix, unix-dgram, fifo, pass
    std::string chroot;               // column 5: "y", "n" or "-" (the default)
    std::string command;              // first word of column 8 ("smtpd", "postscreen")
    std::vector<std::string> args;    // the words after the command
    std::vector<Override> overrides;  // in file order (a later one of the same name wins)
    int line = 0;                     // 1-based line where the service starts
    int fields = 0;                   // words on the logical line (8 or more when complete)
    std::string Id() const { return name + "/" + type; }  // "smtp/inet", as postconf -M names it
    const Override* Find(absl::string_view name) const;    // the winning override, or nullptr
  };

  // Never fails: what is not a service is kept verbatim (postconf judges it later).
  static MasterCf Parse(absl::string_view text);

  // The file text. Parse(x).Render() == x for every x.
  const std::string& Render() const { return text_; }

  const std::vector<Service>& Services() const { return services_; }
  const Service* ServiceAt(int line) const;  // the service starting on `line`, or nullptr

  // Removes every `-o NAME=...` of the service starting on `service_line` (a whole continuation
  // line when the override fills it). False when there is none.
  bool RemoveOverride(int service_line, absl::string_view name);
  // Sets the value of the winning `-o NAME=...` in place (a value with spaces is written in
  // braces). False when the service has no such override.
  bool SetOverride(int service_line, absl::string_view name, absl::string_view value);
  // Adds `-o NAME=VALUE` on a new continuation line after the service's last line, indented
  // like the file's other continuation lines, with the file's line ending. False, nothing
  // changed, when the words would not read as an override (the service leaves a '{' unclosed).
  bool AddOverride(int service_line, absl::string_view name, absl::string_view value);
  // Replaces the bytes of the winning override's value with `text` (a ListText edit of it).
  bool ReplaceValueText(int service_line, absl::string_view name, absl::string_view text);

 private:
  struct Word {
    size_t begin = 0;
    size_t end = 0;
    int line = 0;  // 0-based physical line of `begin`
  };
  struct Entry {
    std::vector<Word> words;
    std::vector<std::pair<size_t, size_t>> override_words;  // per override: first, last word
  };

  void Reparse();
  Service ParseService(size_t entry, int first_line);
  // The override whose "name=value" or "{ name = value }" text is [pos, end), if it is one.
  std::optional<Override> AssignmentAt(size_t pos, size_t end) const;
  int LineOf(size_t offset) const;
  size_t LineContentEnd(int line) const;
  std::string FileEnding() const;
  std::string ContinuationIndent() const;
  const Override* Winning(int service_line, absl::string_view name, size_t* entry,
                          size_t* index) const;

  std::string text_;
  std::vector<size_t> line_starts_;
  std::vector<Service> services_;
  std::vector<Entry> entries_;  // parallel to services_
};

// Read-only views kept for callers that only list services.
struct MasterService {
  std::string service;            // column 1
  std::string type;               // column 2
  std::string command;            // first word of column 8
  std::vector<std::string> args;  // the remaining words of column 8 (continuations included)
  int line = 0;                   // 1-based line where the service starts
};

// Every complete service entry (8 columns or more), in file order.
std::vector<MasterService> ParseMasterCf(absl::string_view text);

// The `-o name=value` overrides of `service` ("-o name=value", "-oname=value" and braced
// "-o { name = value }" forms). Later overrides of the same name win.
std::map<std::string, std::string> SmtpdOverrides(const MasterService& service);

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_MASTER_CF_H_
