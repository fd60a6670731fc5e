#include "common/config_file.h"

#include <yaml-cpp/yaml.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/endpoint.h"
#include "common/host_port.h"
#include "common/hostname.h"
#include "common/status_macros.h"
#include "common/yaml_fields.h"

namespace relayguard {
namespace {

constexpr int64_t kMaxConfigFileBytes = 1 << 20;

// A value as YAML writes it: plain when that reads back as the same text, else quoted.
std::string YamlScalar(const std::string& value) {
  YAML::Emitter out;
  out << value;
  return out.c_str();
}

absl::Status LoadLabels(YamlFieldReader& r, const YAML::Node& node,
                        const ConfigSchema::Setting& s, ConfigOrigins& origins) {
  if (!node.IsMap()) {
    return r.Fail(node, s.key,
                  absl::StrCat("expected a mapping of label names to values (e.g. site: lab), "
                               "got ",
                               YamlKindName(node)));
  }
  std::map<std::string, std::string> labels;
  for (const auto& entry : node) {
    const YAML::Node& key = entry.first;
    if (!key.IsScalar()) {
      return r.Fail(key, s.key,
                    absl::StrCat("label names must be plain words, got ", YamlKindName(key)));
    }
    const std::string field = absl::StrCat(s.key, ".", key.Scalar());
    ASSIGN_OR_RETURN(std::string name, r.String(key, s.key));
    if (name.find('=') != std::string::npos) {
      return r.Fail(key, field, "a label name must not contain '='");
    }
    if (labels.count(name) > 0) {
      return r.Fail(key, field, absl::StrCat("duplicate label (first given at ",
                                             r.KeyAt(field), ")"));
    }
    r.NoteKey(field, key.Mark());
    ASSIGN_OR_RETURN(std::string value, r.String(entry.second, field));
    labels[name] = value;
    origins[field] = r.KeyAt(field);
  }
  *s.labels = std::move(labels);
  return absl::OkStatus();
}

absl::Status LoadSetting(YamlFieldReader& r, const YAML::Node& node,
                         const ConfigSchema::Setting& s, ConfigOrigins& origins) {
  using Kind = ConfigSchema::Kind;
  switch (s.kind) {
    case Kind::kText:
    case Kind::kOptionalText: {
      ASSIGN_OR_RETURN(std::string value, r.String(node, s.key));
      if (std::string problem = s.check(value); !problem.empty()) {
        return r.Fail(node, s.key, problem);
      }
      if (s.kind == Kind::kText) {
        *s.text = value;
      } else {
        *s.optional_text = value;
      }
      break;
    }
    case Kind::kChoice: {
      bool found = false;
      for (const std::string& choice : s.choices) {
        if (node.IsScalar() && IsPlainScalar(node) && node.Scalar() == choice) {
          *s.text = choice;
          found = true;
        }
      }
      if (found) break;
      return r.Fail(node, s.key,
                    absl::StrCat("expected one of ", absl::StrJoin(s.choices, ", "),
                                 " (unquoted), got ",
                                 node.IsScalar() ? YamlQuoted(node.Scalar()) : YamlKindName(node)));
    }
    case Kind::kInteger: {
      ASSIGN_OR_RETURN(uint64_t value, r.Integer(node, s.key, static_cast<uint64_t>(s.min),
                                                 static_cast<uint64_t>(s.max)));
      *s.integer = static_cast<int>(value);
      break;
    }
    case Kind::kBool: {
      ASSIGN_OR_RETURN(*s.boolean, r.Bool(node, s.key));
      break;
    }
    case Kind::kLabels:
      RETURN_IF_ERROR(LoadLabels(r, node, s, origins));
      break;
  }
  origins[s.key] = r.KeyAt(s.key);
  return absl::OkStatus();
}

std::string Origin(const ConfigOrigins& origins, const std::string& key) {
  auto it = origins.find(key);
  return it == origins.end() ? "default" : it->second;
}

}  // namespace

ConfigSchema::Setting& ConfigSchema::Add(std::string key, std::string flag, Kind kind) {
  Setting& s = settings_.emplace_back();
  s.key = std::move(key);
  s.flag = std::move(flag);
  s.kind = kind;
  return s;
}

ConfigSchema& ConfigSchema::Text(std::string key, std::string flag, std::string* value,
                                 TextCheck check) {
  Setting& s = Add(std::move(key), std::move(flag), Kind::kText);
  s.text = value;
  s.check = std::move(check);
  return *this;
}

ConfigSchema& ConfigSchema::OptionalText(std::string key, std::string flag,
                                         std::optional<std::string>* value, TextCheck check) {
  Setting& s = Add(std::move(key), std::move(flag), Kind::kOptionalText);
  s.optional_text = value;
  s.check = std::move(check);
  return *this;
}

ConfigSchema& ConfigSchema::Choice(std::string key, std::string flag, std::string* value,
                                   std::vector<std::string> choices) {
  Setting& s = Add(std::move(key), std::move(flag), Kind::kChoice);
  s.text = value;
  s.choices = std::move(choices);
  return *this;
}

ConfigSchema& ConfigSchema::Integer(std::string key, std::string flag, int* value, int min,
                                    int max) {
  Setting& s = Add(std::move(key), std::move(flag), Kind::kInteger);
  s.integer = value;
  s.min = min;
  s.max = max;
  return *this;
}

ConfigSchema& ConfigSchema::Bool(std::string key, std::string flag, bool* value) {
  Setting& s = Add(std::move(key), std::move(flag), Kind::kBool);
  s.boolean = value;
  return *this;
}

ConfigSchema& ConfigSchema::Labels(std::string key, std::string flag,
                                   std::map<std::string, std::string>* value) {
  Setting& s = Add(std::move(key), std::move(flag), Kind::kLabels);
  s.labels = value;
  return *this;
}

absl::Status ConfigSchema::Load(const std::string& text, const std::string& source,
                                ConfigOrigins& origins) const {
  ASSIGN_OR_RETURN(const YAML::Node root,
                   LoadSingleYamlDocument(text, source, document_, /*empty_hint=*/""));
  YamlFieldReader r(source, document_);
  std::vector<std::string> keys;
  for (const Setting& s : settings_) keys.push_back(s.key);
  try {
    RETURN_IF_ERROR(r.CheckMapping(root, "", keys));
    for (const Setting& s : settings_) {
      if (const YAML::Node node = root[s.key]) RETURN_IF_ERROR(LoadSetting(r, node, s, origins));
    }
  } catch (const YAML::Exception& e) {
    // Not expected: only nodes whose type was checked are read.
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", YamlPosition(e.mark), ": invalid YAML: ", e.msg));
  }
  return absl::OkStatus();
}

void ConfigSchema::NoteCommandLine(const std::vector<const CLI::App*>& apps,
                                   ConfigOrigins& origins) const {
  for (const Setting& s : settings_) {
    for (const CLI::App* app : apps) {
      const CLI::Option* option = app->get_option_no_throw(s.flag);
      if (option == nullptr || option->count() == 0) continue;
      const std::string origin = absl::StrCat("command line (", s.flag, ")");
      if (s.kind != Kind::kLabels) {
        origins[s.key] = origin;
        continue;
      }
      for (const std::string& given : option->results()) {
        origins[absl::StrCat(s.key, ".", given.substr(0, given.find('=')))] = origin;
      }
    }
  }
}

std::string ConfigSchema::Print(const ConfigOrigins& origins) const {
  std::string out;
  auto line = [&](const std::string& key, const std::string& value, const std::string& origin) {
    absl::StrAppend(&out, key, ": ", value, "  # ", origin, "\n");
  };
  for (const Setting& s : settings_) {
    const std::string origin = Origin(origins, s.key);
    switch (s.kind) {
      case Kind::kText:
      case Kind::kChoice:
      case Kind::kOptionalText: {
        const std::string value = s.kind == Kind::kOptionalText ? s.optional_text->value_or("")
                                                                 : *s.text;
        if (value.empty()) {
          absl::StrAppend(&out, "# ", s.key, ": (not set)  # ", origin, "\n");
        } else {
          line(s.key, YamlScalar(value), origin);
        }
        break;
      }
      case Kind::kInteger:
        line(s.key, std::to_string(*s.integer), origin);
        break;
      case Kind::kBool:
        line(s.key, *s.boolean ? "true" : "false", origin);
        break;
      case Kind::kLabels:
        if (s.labels->empty()) {
          line(s.key, "{}", origin);
          break;
        }
        absl::StrAppend(&out, s.key, ":\n");
        for (const auto& [name, value] : *s.labels) {
          absl::StrAppend(&out, "  ", YamlScalar(name), ": ", YamlScalar(value), "  # ",
                          Origin(origins, absl::StrCat(s.key, ".", name)), "\n");
        }
        break;
    }
  }
  return out;
}

absl::StatusOr<std::optional<ConfigText>> ReadConfigFile(const std::optional<std::string>& given,
                                                         const std::string& default_path) {
  const std::string path = given.value_or(default_path);
  absl::StatusOr<std::string> text =
      ReadSmallTextFile(path, "configuration file", kMaxConfigFileBytes, "a configuration file",
                        "give the path of a .yaml configuration file");
  if (!text.ok()) {
    if (!given && absl::IsNotFound(text.status())) return std::nullopt;  // built-in defaults
    if (given) {
      return absl::Status(text.status().code(), absl::StrCat("--config: ", text.status().message()));
    }
    return text.status();
  }
  return ConfigText{path, *std::move(text)};
}

std::string AnyText(std::string&) { return ""; }

std::string AbsolutePathText(std::string& value) {
  if (value[0] != '/') {
    return absl::StrCat("needs an absolute path (starting with '/'), got ", YamlQuoted(value));
  }
  while (value.size() > 1 && value.back() == '/') value.pop_back();
  return "";
}

std::string HostPortText(std::string& value) {
  const std::string problem = HostPortProblem(value, 1);
  return problem.empty() ? "" : absl::StrCat(YamlQuoted(value), ": ", problem);
}

std::string ListenText(std::string& value) {
  const std::string problem = HostPortProblem(value, 0);
  return problem.empty() ? "" : absl::StrCat(YamlQuoted(value), ": ", problem);
}

std::string SmtpEndpointText(std::string& value) {
  absl::StatusOr<SmtpEndpoint> endpoint = ParseSmtpEndpoint(value);
  return endpoint.ok() ? "" : std::string(endpoint.status().message());
}

std::string HostNameText(std::string& value) {
  if (ValidHostName(value)) return "";
  return absl::StrCat(YamlQuoted(value),
                      " is not a valid host name (letters, digits, '-' and '.', labels of 1 to 63 "
                      "characters)");
}

}  // namespace relayguard
