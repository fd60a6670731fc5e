#include "tools/docgen/config_man_page.h"

#include <algorithm>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/docgen/roff.h"

namespace relayguard::docgen {
namespace {

const std::regex kHeading("^# ---+ (.*[^ -]) -*$");
const std::regex kSetKey("^([a-z][a-z0-9_]*):(?: (.*))?$");
// A commented-out key's value is one word or a quoted string: prose goes on with more words.
const std::regex kCommentedKey("^# ([a-z][a-z0-9_]*):(?: ([^ \"']+|\"[^\"]*\"|'[^']*'))?$");

// Builds the document a paragraph (lines between blank lines) at a time.
class ConfigReader {
 public:
  ConfigReader(ConfigDoc& doc, std::string file, const std::vector<std::string>& keys)
      : doc_(doc), file_(std::move(file)), keys_(keys) {
    doc_.sections.push_back({});
  }

  absl::Status Line(const std::string& line, int number) {
    std::smatch m;
    if (line.empty() || line == "#") {
      EndParagraph();
      return absl::OkStatus();
    }
    if (std::regex_match(line, m, kHeading)) {
      EndParagraph();
      doc_.sections.push_back({m[1].str(), {}});
      keys_seen_ = true;
      return absl::OkStatus();
    }
    if (std::regex_match(line, m, kSetKey)) return Key({m[1].str(), m[2].str(), true});
    if (line[0] == ' ' && in_example_) {  // a set mapping's or list's lines
      entry_.example.push_back(line);
      return absl::OkStatus();
    }
    if (std::regex_match(line, m, kCommentedKey) && !in_example_ && IsKey(m[1].str())) {
      const bool again = std::any_of(entry_.keys.begin(), entry_.keys.end(),
                                     [&m](const ConfigKey& k) { return k.key == m[1].str(); });
      if (!again) return Key({m[1].str(), m[2].str(), false});
      in_example_ = true;  // "labels: {}" then "# labels:" and its lines: an example
      entry_.example.push_back(line.substr(2));
      return absl::OkStatus();
    }
    if (absl::StartsWith(line, "# ")) {
      if (in_example_ || (!entry_.keys.empty() && absl::StartsWith(line, "#  "))) {
        in_example_ = true;
        entry_.example.push_back(line.substr(2));
      } else {
        prose_.push_back(line.substr(2));
      }
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(absl::StrCat(
        file_, ":", number, ": neither a comment, a key nor a key's value: \"", line, "\""));
  }

  void EndParagraph() {
    if (!prose_.empty()) {
      entry_.text.push_back(absl::StrJoin(prose_, " "));
      prose_.clear();
    }
    if (!entry_.keys.empty()) {
      doc_.sections.back().entries.push_back(std::move(entry_));
      entry_ = {};
      keys_seen_ = true;
    } else if (!entry_.text.empty()) {
      // A comment without a key: the description before the first key, else a note in the
      // section (an entry without keys).
      if (keys_seen_) {
        doc_.sections.back().entries.push_back(std::move(entry_));
      } else {
        for (std::string& t : entry_.text) doc_.description.push_back(std::move(t));
      }
      entry_ = {};
    }
    in_example_ = false;
  }

 private:
  bool IsKey(const std::string& word) const {
    return keys_.empty() || std::find(keys_.begin(), keys_.end(), word) != keys_.end();
  }

  absl::Status Key(ConfigKey key) {
    if (!prose_.empty()) {
      entry_.text.push_back(absl::StrJoin(prose_, " "));
      prose_.clear();
    }
    in_example_ = key.set && key.value.empty();  // a mapping or list on the lines below
    entry_.keys.push_back(std::move(key));
    return absl::OkStatus();
  }

  ConfigDoc& doc_;
  std::string file_;
  const std::vector<std::string>& keys_;
  ConfigEntry entry_;
  std::vector<std::string> prose_;
  bool in_example_ = false;
  bool keys_seen_ = false;
};

std::string KeyTag(const ConfigKey& k) {
  if (k.set) return Bold(k.key + ":") + (k.value.empty() ? "" : " " + Roff(k.value));
  return Bold(k.key + ":") + " " + Italic(k.value) + " (an example: not set by default)";
}

}  // namespace

absl::StatusOr<ConfigDoc> ParseCommentedConfig(const std::string& text, const std::string& file,
                                               const std::vector<std::string>& keys) {
  ConfigDoc doc;
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  // "# /etc/relayguard/agent.yaml: the configuration of relayguard-agent."
  const std::regex title("^# (/[^ :]+): (.+?)\\.?$");
  std::smatch m;
  if (lines.empty() || !std::regex_match(lines[0], m, title)) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ":1: the first line must be \"# /PATH: what the file is\""));
  }
  doc.path = m[1].str();
  doc.summary = m[2].str();
  ConfigReader reader(doc, file, keys);
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string line(absl::StripTrailingAsciiWhitespace(lines[i]));
    if (absl::Status s = reader.Line(line, static_cast<int>(i + 1)); !s.ok()) return s;
  }
  reader.EndParagraph();
  return doc;
}

std::string ConfigManPage(const ConfigDoc& doc, const std::string& page_name,
                          const ManPageInfo& info) {
  std::string out;
  out += ".\\\" Generated by relayguard-docgen (tools/docgen) from the shipped " + doc.path +
         "\n.\\\" (deploy/etc/); do not edit.\n";
  out += ".TH " + RoffArg(absl::AsciiStrToUpper(page_name)) + " " + info.section + " \"\" " +
         RoffArg(info.source) + " " + RoffArg(info.manual) + "\n";
  out += kLayout;
  out += ".SH NAME\n" + Roff(page_name) + " \\- " + Roff(doc.summary) + "\n";
  out += ".SH SYNOPSIS\n" + Italic(doc.path) + "\n";
  out += ".SH DESCRIPTION\n";
  for (size_t i = 0; i < doc.description.size(); ++i) {
    out += (i == 0 ? "" : ".PP\n") + Roff(doc.description[i]) + "\n";
  }
  out += ".SH SETTINGS\n";
  for (const ConfigSection& section : doc.sections) {
    if (section.entries.empty()) continue;
    if (!section.title.empty()) out += ".SS " + RoffArg(section.title) + "\n";
    for (const ConfigEntry& e : section.entries) {
      if (e.keys.empty()) {
        for (const std::string& t : e.text) out += ".PP\n" + Roff(t) + "\n";
        continue;
      }
      for (size_t i = 0; i < e.keys.size(); ++i) {
        out += (i == 0 ? ".TP\n" : ".TQ\n") + KeyTag(e.keys[i]) + "\n";
      }
      for (size_t i = 0; i < e.text.size(); ++i) {
        out += (i == 0 ? "" : ".IP\n") + Roff(e.text[i]) + "\n";
      }
      if (!e.example.empty()) {
        out += ".IP\nFor example:\n.IP\n.EX\n";
        for (const std::string& l : e.example) out += Roff(l) + "\n";
        out += ".EE\n";
      }
    }
  }
  out += ".SH FILES\n.TP\n" + Italic(doc.path) + "\n" + Roff(doc.summary) + "\n";
  for (const auto& [path, what] : info.files) {
    out += ".TP\n" + Italic(path) + "\n" + Roff(what) + "\n";
  }
  return out + SeeAlsoSection(info.see_also);
}

}  // namespace relayguard::docgen
