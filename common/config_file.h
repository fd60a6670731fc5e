// The daemons' configuration files (/etc/relayguard/agent.yaml, controller.yaml): one key per
// command-line option, read with the playbooks' strict rules (common/yaml_fields.h), the command
// line overriding the file, and `config check` printing what is in effect and where each value
// came from.
#ifndef RELAYGUARD_COMMON_CONFIG_FILE_H_
#define RELAYGUARD_COMMON_CONFIG_FILE_H_

#include <CLI/CLI.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace relayguard {

// Where each setting's value came from, by key ("labels.site" for one label): "FILE:LINE:COL"
// or "command line (--flag)"; a key that is absent has its built-in default.
using ConfigOrigins = std::map<std::string, std::string>;

// Checks a text value and may normalise it in place; returns what is wrong, "" when nothing is
// (the message follows "KEY: ", e.g. "needs an absolute path, got \"x\"").
using TextCheck = std::function<std::string(std::string&)>;

// The keys of one configuration file, each bound to a field of one configuration object (the
// object the file is read into and printed from) and to the command-line option it stands for.
class ConfigSchema {
 public:
  enum class Kind { kText, kOptionalText, kChoice, kInteger, kBool, kLabels };
  struct Setting {
    std::string key;   // "state_dir"
    std::string flag;  // "--state-dir"
    Kind kind = Kind::kText;
    std::string* text = nullptr;                         // kText, kChoice ("" = not set)
    std::optional<std::string>* optional_text = nullptr;  // kOptionalText
    int* integer = nullptr;
    bool* boolean = nullptr;
    std::map<std::string, std::string>* labels = nullptr;
    TextCheck check;                   // kText, kOptionalText, kLabels (values)
    std::vector<std::string> choices;  // kChoice
    int min = 0, max = 0;              // kInteger
  };

  // `document` names the file in messages about its top level: "agent configuration".
  explicit ConfigSchema(std::string document) : document_(std::move(document)) {}

  ConfigSchema& Text(std::string key, std::string flag, std::string* value, TextCheck check);
  ConfigSchema& OptionalText(std::string key, std::string flag, std::optional<std::string>* value,
                             TextCheck check);
  ConfigSchema& Choice(std::string key, std::string flag, std::string* value,
                       std::vector<std::string> choices);
  ConfigSchema& Integer(std::string key, std::string flag, int* value, int min, int max);
  ConfigSchema& Bool(std::string key, std::string flag, bool* value);
  // A mapping of label names to values; the option is repeatable KEY=VALUE.
  ConfigSchema& Labels(std::string key, std::string flag, std::map<std::string, std::string>* value);

  const std::vector<Setting>& settings() const { return settings_; }

  // Reads the YAML `text` of file `source` into the bound fields and notes in `origins` where
  // each value is. InvalidArgument "SOURCE:LINE:COL: KEY: what is wrong" on the first problem;
  // the fields may then be partly set. An empty file (or only comments) sets nothing.
  absl::Status Load(const std::string& text, const std::string& source,
                    ConfigOrigins& origins) const;

  // Notes in `origins` the settings whose option was given on the command line parsed by
  // `apps` (the program and the command that ran: an option may be defined by either).
  void NoteCommandLine(const std::vector<const CLI::App*>& apps, ConfigOrigins& origins) const;

  // The effective configuration as YAML that Load accepts, one key per line in schema order,
  // each followed by "# default", "# FILE:LINE:COL" or "# command line (--flag)"; a value that
  // is not set is printed as a comment.
  std::string Print(const ConfigOrigins& origins) const;

 private:
  Setting& Add(std::string key, std::string flag, Kind kind);

  std::string document_;
  std::vector<Setting> settings_;
};

// The configuration file to read. `given` (--config FILE) must exist; `default_path` may be
// missing, which means the built-in defaults (nullopt). The text is returned with its path.
struct ConfigText {
  std::string path;
  std::string text;
};
absl::StatusOr<std::optional<ConfigText>> ReadConfigFile(const std::optional<std::string>& given,
                                                         const std::string& default_path);

// Checks for text settings (TextCheck).
std::string AnyText(std::string& value);       // any single-line text
std::string AbsolutePathText(std::string& value);  // "/x/y"; trailing slashes dropped
std::string HostPortText(std::string& value);      // HOST:PORT, PORT 1..65535
std::string ListenText(std::string& value);        // HOST:PORT, PORT 0..65535 (0: any)
std::string SmtpEndpointText(std::string& value);  // IP:PORT ([V6]:PORT)
std::string HostNameText(std::string& value);      // a host name (common/hostname.h)

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_CONFIG_FILE_H_
