#include "agent/mta/exim/exim_port_condition.h"

#include <cctype>

#include "absl/strings/numbers.h"
#include "agent/mta/exim/exim_list.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace relayguard::agent::exim {
namespace {

using Node = PortCondition::Node;

class Parser {
 public:
  explicit Parser(absl::string_view s) : s_(s) {}

  // ${if COND[{yes}[{no}]]}
  std::optional<Node> Expansion() {
    Space();
    if (!Eat("${if")) return std::nullopt;
    std::optional<Node> cond = Condition();
    if (!cond) return std::nullopt;
    Space();
    if (Peek('{')) {
      std::optional<std::string> yes = Braced();
      if (!yes || !(*yes == "yes" || *yes == "true" || *yes == "1")) return std::nullopt;
      Space();
      if (Peek('{')) {
        std::optional<std::string> no = Braced();
        if (!no || !(no->empty() || *no == "no" || *no == "false" || *no == "0")) {
          return std::nullopt;
        }
      }
    }
    Space();
    if (!Eat("}")) return std::nullopt;
    Space();
    if (!s_.empty()) return std::nullopt;
    return cond;
  }

 private:
  std::optional<Node> Condition() {
    Space();
    bool negated = Eat("!");
    Space();
    std::optional<Node> n;
    if (Word("or") || Word("and")) {
      n = Logic(last_word_ == "or" ? Node::Kind::kOr : Node::Kind::kAnd);
    } else if (Word("inlist")) {
      n = InList();
    } else {
      n = Compare();
    }
    if (n) n->negated = negated != n->negated;
    return n;
  }

  std::optional<Node> Logic(Node::Kind kind) {
    Node n;
    n.kind = kind;
    Space();
    if (!Eat("{")) return std::nullopt;
    for (;;) {
      Space();
      if (Eat("}")) break;
      if (!Eat("{")) return std::nullopt;
      std::optional<Node> child = Condition();
      Space();
      if (!child || !Eat("}")) return std::nullopt;
      n.children.push_back(std::move(*child));
    }
    if (n.children.empty()) return std::nullopt;
    return n;
  }

  std::optional<Node> InList() {
    Node n;
    n.kind = Node::Kind::kInList;
    std::optional<std::string> a = Braced();
    std::optional<std::string> b = Braced();
    if (!a || !b || !IsPortVariable(*a)) return std::nullopt;
    for (const std::string& item : ParseEximList(*b)) {
      int port = 0;
      if (!absl::SimpleAtoi(item, &port)) return std::nullopt;
      n.list.insert(port);
    }
    return n;
  }

  std::optional<Node> Compare() {
    static constexpr absl::string_view kOps[] = {"==", "<=", ">=", "eqi", "eq", "=", "<", ">"};
    Node n;
    for (absl::string_view op : kOps) {
      if (Eat(op)) {
        n.op = op == "eq" || op == "eqi" || op == "=" ? "==" : std::string(op);
        break;
      }
    }
    if (n.op.empty()) return std::nullopt;
    std::optional<std::string> a = Braced();
    std::optional<std::string> b = Braced();
    if (!a || !b) return std::nullopt;
    absl::string_view number = *b;
    if (IsPortVariable(*b)) {
      n.port_first = false;
      number = *a;
    } else if (!IsPortVariable(*a)) {
      return std::nullopt;
    }
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(number), &n.number)) return std::nullopt;
    return n;
  }

  static bool IsPortVariable(absl::string_view v) {
    v = absl::StripAsciiWhitespace(v);
    return v == "$received_port" || v == "${received_port}" || v == "$interface_port" ||
           v == "${interface_port}";
  }

  // "{text}" with nested braces kept inside.
  std::optional<std::string> Braced() {
    Space();
    if (!Eat("{")) return std::nullopt;
    int depth = 1;
    size_t i = 0;
    for (; i < s_.size() && depth > 0; ++i) {
      if (s_[i] == '\\') {
        ++i;
      } else if (s_[i] == '{') {
        ++depth;
      } else if (s_[i] == '}') {
        --depth;
      }
    }
    if (depth != 0) return std::nullopt;
    std::string inner(s_.substr(0, i - 1));
    s_.remove_prefix(i);
    return inner;
  }

  bool Word(absl::string_view w) {
    if (!absl::StartsWith(s_, w)) return false;
    absl::string_view rest = s_.substr(w.size());
    if (!rest.empty() && std::isalnum(static_cast<unsigned char>(rest.front()))) return false;
    s_ = rest;
    last_word_ = std::string(w);
    return true;
  }
  bool Eat(absl::string_view t) { return absl::ConsumePrefix(&s_, t); }
  bool Peek(char c) const { return !s_.empty() && s_.front() == c; }
  void Space() { s_ = absl::StripLeadingAsciiWhitespace(s_); }

  absl::string_view s_;
  std::string last_word_;
};

bool Holds(const Node& n, int port) {
  bool v = false;
  switch (n.kind) {
    case Node::Kind::kCompare: {
      int a = n.port_first ? port : n.number;
      int b = n.port_first ? n.number : port;
      v = n.op == "=="   ? a == b
          : n.op == "<"  ? a < b
          : n.op == "<=" ? a <= b
          : n.op == ">"  ? a > b
                         : a >= b;
      break;
    }
    case Node::Kind::kInList:
      v = n.list.count(port) > 0;
      break;
    case Node::Kind::kOr:
      for (const Node& c : n.children) v = v || Holds(c, port);
      break;
    case Node::Kind::kAnd:
      v = true;
      for (const Node& c : n.children) v = v && Holds(c, port);
      break;
  }
  return v != n.negated;
}

}  // namespace

std::optional<PortCondition> PortCondition::Parse(absl::string_view value) {
  absl::string_view v = absl::StripAsciiWhitespace(value);
  // An ACL value may be quoted as a whole.
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  std::optional<Node> root = Parser(v).Expansion();
  if (!root) return std::nullopt;
  PortCondition c;
  c.root_ = std::move(*root);
  return c;
}

bool PortCondition::Matches(int port) const { return Holds(root_, port); }

}  // namespace relayguard::agent::exim
