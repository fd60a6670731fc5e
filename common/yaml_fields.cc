#include "common/yaml_fields.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <vector>

#include "absl/strings/escaping.h"
#include "yaml-cpp/anchor.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/parser.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace relayguard {

std::string YamlQuoted(const std::string& value) {
  return absl::StrCat("\"", absl::CHexEscape(value), "\"");
}

std::string YamlPosition(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return "1:1";
  return absl::StrCat(mark.line + 1, ":", mark.column + 1);
}

std::string YamlKindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "an empty value";
    case YAML::NodeType::Scalar:
      return absl::StrCat("the single value ", YamlQuoted(node.Scalar()));
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

bool IsPlainScalar(const YAML::Node& node) { return node.Tag() == "?"; }

bool HasControlCharacter(const std::string& value) {
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

absl::Status YamlFieldReader::Fail(const YAML::Node& node, const std::string& field,
                                   const std::string& what) {
  if (node.IsNull()) {
    auto it = key_marks_.find(field);
    if (it != key_marks_.end()) return FailAt(it->second, field, what);
  }
  return FailAt(node.Mark(), field, what);
}

absl::Status YamlFieldReader::FailAt(const YAML::Mark& mark, const std::string& field,
                                     const std::string& what) {
  return absl::InvalidArgumentError(
      absl::StrCat(source_, ":", YamlPosition(mark), ": ", field, ": ", what));
}

std::string YamlFieldReader::Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : absl::StrCat(path, ".", key);
}

absl::Status YamlFieldReader::CheckMapping(const YAML::Node& node, const std::string& field,
                                           std::initializer_list<const char*> allowed) {
  return CheckMapping(node, field, std::vector<std::string>(allowed.begin(), allowed.end()));
}

absl::Status YamlFieldReader::CheckMapping(const YAML::Node& node, const std::string& field,
                                           const std::vector<std::string>& allowed) {
  if (!node.IsMap()) {
    return Fail(node, field.empty() ? document_ : field,
                absl::StrCat("expected a mapping, got ", YamlKindName(node)));
  }
  std::map<std::string, YAML::Mark> seen;
  for (const auto& entry : node) {
    const YAML::Node& key = entry.first;
    if (!key.IsScalar()) {
      return Fail(key, field.empty() ? document_ : field,
                  absl::StrCat("keys must be plain field names, got ", YamlKindName(key)));
    }
    const std::string name = key.Scalar();
    bool known = false;
    for (const std::string& a : allowed) known = known || name == a;
    if (!known) {
      return Fail(key, Join(field, name),
                  absl::StrCat("unknown field; expected one of: ", absl::StrJoin(allowed, ", ")));
    }
    key_marks_.emplace(Join(field, name), key.Mark());
    auto [it, inserted] = seen.emplace(name, key.Mark());
    if (!inserted) {
      return Fail(key, Join(field, name),
                  absl::StrCat("duplicate key (first given at ", YamlPosition(it->second), ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status YamlFieldReader::Require(const YAML::Node& map, const std::string& path,
                                      const char* key) {
  if (map[key]) return absl::OkStatus();
  return Fail(map, Join(path, key), "required field is missing");
}

absl::StatusOr<std::string> YamlFieldReader::String(const YAML::Node& node,
                                                    const std::string& field) {
  if (!node.IsScalar()) {
    return Fail(node, field, absl::StrCat("expected a single value, got ", YamlKindName(node)));
  }
  const std::string& value = node.Scalar();
  if (value.empty()) return Fail(node, field, "must not be empty");
  if (HasControlCharacter(value)) {
    return Fail(node, field,
                absl::StrCat("contains a line break or control character: ", YamlQuoted(value)));
  }
  return value;
}

absl::StatusOr<uint64_t> YamlFieldReader::Integer(const YAML::Node& node, const std::string& field,
                                                  uint64_t min, uint64_t max) {
  if (!node.IsScalar()) {
    return Fail(node, field, absl::StrCat("expected an integer, got ", YamlKindName(node)));
  }
  const std::string& text = node.Scalar();
  if (!IsPlainScalar(node)) {
    return Fail(node, field,
                absl::StrCat("expected an integer, got the quoted string ", YamlQuoted(text),
                             "; write the number without quotes"));
  }
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  if (text.size() > 1 && text[0] == '-' &&
      text.find_first_not_of("0123456789", 1) == std::string::npos) {
    return Fail(node, field, absl::StrCat("must not be negative, got ", text));
  }
  uint64_t value = 0;
  if (!digits || (text.size() > 1 && text[0] == '0')) {
    return Fail(node, field,
                absl::StrCat("expected a decimal integer without sign or leading zeros, got ",
                             YamlQuoted(text)));
  }
  if (!absl::SimpleAtoi(text, &value) || value < min || value > max) {
    return Fail(node, field, absl::StrCat("must be between ", min, " and ", max, ", got ", text));
  }
  return value;
}

absl::StatusOr<bool> YamlFieldReader::Bool(const YAML::Node& node, const std::string& field) {
  if (node.IsScalar() && IsPlainScalar(node)) {
    if (node.Scalar() == "true") return true;
    if (node.Scalar() == "false") return false;
  }
  std::string got = YamlKindName(node);
  if (node.IsScalar() && !IsPlainScalar(node)) {
    got = absl::StrCat("the quoted string ", YamlQuoted(node.Scalar()));
  }
  return Fail(node, field, absl::StrCat("expected true or false (unquoted), got ", got));
}

absl::Status YamlFieldReader::CheckList(const YAML::Node& node, const std::string& field) {
  if (node.IsSequence()) return absl::OkStatus();
  return Fail(node, field,
              absl::StrCat("expected a list (e.g. [a, b] or one \"- item\" per line), got ",
                           YamlKindName(node)));
}

std::string YamlFieldReader::KeyAt(const std::string& field) const {
  auto it = key_marks_.find(field);
  if (it == key_marks_.end()) return "";
  return absl::StrCat(source_, ":", YamlPosition(it->second));
}

namespace {

// Counts the documents of a YAML stream and notes where the second one's root node starts.
class DocumentCounter : public YAML::EventHandler {
 public:
  int documents() const { return documents_; }
  const YAML::Mark& second_root() const { return second_root_; }

  void OnDocumentStart(const YAML::Mark&) override { ++documents_; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnMapEnd() override {}

 private:
  void Node(const YAML::Mark& mark) {
    if (documents_ == 2 && !have_second_root_) {
      second_root_ = mark;
      have_second_root_ = true;
    }
  }
  int documents_ = 0;
  YAML::Mark second_root_ = YAML::Mark::null_mark();
  bool have_second_root_ = false;
};

}  // namespace

absl::StatusOr<YAML::Node> LoadSingleYamlDocument(const std::string& text,
                                                  const std::string& source,
                                                  const std::string& document,
                                                  const std::string& empty_hint) {
  // Not YAML::LoadAll: on some invalid text ("!a,b") yaml-cpp 0.7's parser reports an empty
  // document again and again, and LoadAll collects them until memory runs out (found by
  // fuzz/policy_fuzz; fixed upstream by jbeder/yaml-cpp#1319). Two documents are enough to know.
  YAML::Node first;
  DocumentCounter counter;
  try {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    while (counter.documents() < 2 && parser.HandleNextDocument(counter)) {
    }
    if (counter.documents() > 0) first = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", YamlPosition(e.mark), ": invalid YAML: ", e.msg));
  }
  if (counter.documents() == 0 || first.IsNull()) {
    if (empty_hint.empty()) return YAML::Node(YAML::NodeType::Map);
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":1:1: ", document, ": the file is empty; ", empty_hint));
  }
  if (counter.documents() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ":", YamlPosition(counter.second_root()), ": ", document,
        ": expected a single YAML document; found a second one"));
  }
  return first;
}

absl::StatusOr<std::string> ReadSmallTextFile(const std::string& path, const std::string& what,
                                              int64_t max_bytes, const std::string& kind,
                                              const std::string& hint) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    if (error == ENOENT || error == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat(what, " ", path, " does not exist"));
    }
    if (error == EACCES || error == EPERM) {
      return absl::PermissionDeniedError(absl::StrCat(
          what, " ", path, " cannot be read: permission denied; check its owner and mode"));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot open ", what, " ", path, ": ", std::strerror(error)));
  }
  std::string text;
  absl::Status status = absl::OkStatus();
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    status = absl::UnavailableError(
        absl::StrCat("cannot stat ", what, " ", path, ": ", std::strerror(errno)));
  } else if (!S_ISREG(st.st_mode)) {
    status = absl::InvalidArgumentError(absl::StrCat(
        what, " ", path, S_ISDIR(st.st_mode) ? " is a directory" : " is not a regular file",
        "; ", hint));
  } else if (st.st_size > max_bytes) {
    status = absl::InvalidArgumentError(absl::StrCat(what, " ", path, " is ", st.st_size,
                                                     " bytes; ", kind, " is at most ", max_bytes,
                                                     " bytes"));
  } else {
    char buffer[8192];
    while (true) {
      const ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = absl::UnavailableError(
            absl::StrCat("cannot read ", what, " ", path, ": ", std::strerror(errno)));
        break;
      }
      if (n == 0) break;
      text.append(buffer, static_cast<size_t>(n));
    }
  }
  close(fd);
  if (!status.ok()) return status;
  return text;
}

}  // namespace relayguard
