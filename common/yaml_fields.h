// Strict reading of relayguard's YAML files (playbooks, /etc/relayguard/*.yaml): every problem is
// an InvalidArgument status naming FILE:LINE:COL and the field, e.g.
//   /etc/relayguard/agent.yaml:7:14: heartbeat_s: must be between 1 and 3600, got 0
// yaml-cpp's exceptions stop here and become such a status.
#ifndef RELAYGUARD_COMMON_YAML_FIELDS_H_
#define RELAYGUARD_COMMON_YAML_FIELDS_H_

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace relayguard {

// A value in double quotes with control characters escaped, so messages stay on one line.
std::string YamlQuoted(const std::string& value);

// "LINE:COL" (1-based) of a node; 1:1 when yaml-cpp has no position for it.
std::string YamlPosition(const YAML::Mark& mark);

// What a node is, for "expected X, got Y": "an empty value", "a list", "the single value \"x\"".
std::string YamlKindName(const YAML::Node& node);

// Whether a scalar was written without quotes (so `true` and `"true"` can be told apart).
bool IsPlainScalar(const YAML::Node& node);

bool HasControlCharacter(const std::string& value);

// Reads the fields of one YAML document of `source` (a path, used in messages). The first
// problem found is returned as a status; `document` names the whole document in messages about
// its top level ("playbook", "agent configuration").
class YamlFieldReader {
 public:
  YamlFieldReader(std::string source, std::string document)
      : source_(std::move(source)), document_(std::move(document)) {}

  const std::string& source() const { return source_; }

  // "SOURCE:LINE:COL: FIELD: WHAT". An empty value has no token of its own (yaml-cpp places it
  // at the next token), so the problem is reported at its key.
  absl::Status Fail(const YAML::Node& node, const std::string& field, const std::string& what);
  absl::Status FailAt(const YAML::Mark& mark, const std::string& field, const std::string& what);

  // "a.b" from "a" and "b"; "b" at the top level.
  static std::string Join(const std::string& path, const std::string& key);

  // A mapping whose keys are all plain scalars from `allowed`, each appearing once. Records
  // where each key is (KeyAt).
  absl::Status CheckMapping(const YAML::Node& node, const std::string& field,
                            std::initializer_list<const char*> allowed);
  absl::Status CheckMapping(const YAML::Node& node, const std::string& field,
                            const std::vector<std::string>& allowed);
  absl::Status Require(const YAML::Node& map, const std::string& path, const char* key);
  // A non-empty single-line scalar.
  absl::StatusOr<std::string> String(const YAML::Node& node, const std::string& field);
  // A plain (unquoted) decimal integer in [min, max].
  absl::StatusOr<uint64_t> Integer(const YAML::Node& node, const std::string& field, uint64_t min,
                                   uint64_t max);
  // Only the plain words true and false: "yes", "on", "1" or a quoted "true" are refused.
  absl::StatusOr<bool> Bool(const YAML::Node& node, const std::string& field);
  absl::Status CheckList(const YAML::Node& node, const std::string& field);

  // Where a field's key is, as "SOURCE:LINE:COL" ("" if CheckMapping has not seen it).
  std::string KeyAt(const std::string& field) const;
  // Records where the key of `field` is, for keys CheckMapping does not check (free-form maps).
  void NoteKey(const std::string& field, const YAML::Mark& mark) { key_marks_.emplace(field, mark); }

 private:
  std::string source_;
  std::string document_;
  std::map<std::string, YAML::Mark> key_marks_;  // dotted field path -> position of its key
};

// The one YAML document of `text`. Errors name `source`: invalid YAML (at its position), an
// empty file ("SOURCE:1:1: DOCUMENT: the file is empty; EMPTY_HINT"), a second document.
// `empty_hint` empty: an empty file is an empty mapping.
absl::StatusOr<YAML::Node> LoadSingleYamlDocument(const std::string& text,
                                                  const std::string& source,
                                                  const std::string& document,
                                                  const std::string& empty_hint);

// The text of regular file `path`, at most `max_bytes`. `what` names it in messages ("policy
// file"): NotFound when it does not exist, PermissionDenied when it cannot be read,
// InvalidArgument when it is a directory or not a regular file (`hint` says what to give
// instead: "give the path of a playbook .yaml file") or bigger than `max_bytes` ("a playbook is
// at most N bytes", `kind` = "a playbook").
absl::StatusOr<std::string> ReadSmallTextFile(const std::string& path, const std::string& what,
                                              int64_t max_bytes, const std::string& kind,
                                              const std::string& hint);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_YAML_FIELDS_H_
