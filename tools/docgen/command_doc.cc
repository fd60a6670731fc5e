#include "tools/docgen/command_doc.h"

#include <regex>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace relayguard::docgen {
namespace {

// "TEXT:{auto, postfix}" -> "{auto, postfix}": CLI11's TEXT says nothing to a reader.
std::string ValueName(const CLI::Option& opt) {
  std::string value = opt.get_type_name();
  if (absl::StartsWith(value, "TEXT:")) value.erase(0, 5);
  return value;
}

void SetKind(OptionDoc& o) {
  if (o.value.empty()) return;
  o.kind = ValueKind::kText;
  const size_t open = o.value.find('{');
  const size_t close = o.value.find('}', open == std::string::npos ? 0 : open);
  if (open != std::string::npos && close != std::string::npos) {
    o.kind = ValueKind::kChoice;
    o.choices = absl::StrSplit(o.value.substr(open + 1, close - open - 1), ", ");
  } else if (o.value.find("DIR") != std::string::npos) {
    o.kind = ValueKind::kDirectory;
  } else if (o.value.find("FILE") != std::string::npos ||
             o.value.find("PATH") != std::string::npos) {
    o.kind = ValueKind::kFile;
  }
}

OptionDoc DescribeOption(const CLI::Option& opt) {
  OptionDoc o;
  o.positional = !opt.nonpositional();
  if (o.positional) {
    o.names = {opt.get_name(/*positional=*/true)};
  } else {
    for (const std::string& s : opt.get_snames()) o.names.push_back("-" + s);
    for (const std::string& l : opt.get_lnames()) o.names.push_back("--" + l);
  }
  if (opt.get_type_size() != 0) {
    o.value = ValueName(opt);
    o.default_value = opt.get_default_str();
    if (o.default_value == "[]") o.default_value.clear();  // an empty list
    o.repeatable = opt.get_expected_max() == CLI::detail::expected_max_vector_size;
  }
  SetKind(o);
  o.help = opt.get_description();
  o.required = opt.get_required();
  for (const CLI::Option* ex : opt.get_excludes()) o.excludes.push_back(ex->get_name());
  return o;
}

}  // namespace

std::string CommandDoc::Name() const { return absl::StrJoin(path, " "); }

std::string CommandDoc::CommandName() const {
  return absl::StrJoin(path.begin() + (path.empty() ? 0 : 1), path.end(), " ");
}

CommandDoc DescribeCommand(const CLI::App& app, const std::vector<std::string>& parent) {
  CommandDoc c;
  c.path = parent;
  c.path.push_back(app.get_name());
  c.description = app.get_description();
  c.footer = app.get_footer();
  c.fallthrough = app.get_fallthrough();
  c.needs_subcommand = app.get_require_subcommand_min() > 0;
  // In the order they were defined (--help lists positionals under their own heading).
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    c.options.push_back(DescribeOption(*opt));
  }
  for (const CLI::App* sub : app.get_subcommands(
           [](const CLI::App* s) { return !s->get_name().empty() && !s->get_group().empty(); })) {
    c.commands.push_back(DescribeCommand(*sub, c.path));
  }
  return c;
}

FooterParts SplitFooter(const std::string& footer) {
  FooterParts parts;
  std::string notes = footer;
  const size_t at = footer.find("exit codes:");
  if (at != std::string::npos) {
    notes = footer.substr(0, at);
    std::string codes = footer.substr(at + std::string("exit codes:").size());
    // The lines of the list are continued with indentation: one line.
    codes = std::regex_replace(codes, std::regex("\\s+"), " ");
    parts.exit_codes_text = std::string(absl::StripAsciiWhitespace(codes));
    // "0 ok, 1 usage, 4 (compliance, scan) some host ...": a code starts the text or follows
    // ", ".
    const std::regex code("(^|, )([0-9]+) ");
    std::vector<std::pair<size_t, size_t>> starts;  // where the code is, where its text is
    const std::string& text = parts.exit_codes_text;
    for (std::sregex_iterator i(text.begin(), text.end(), code), end; i != end; ++i) {
      starts.push_back({static_cast<size_t>(i->position(2)),
                        static_cast<size_t>(i->position(0) + i->length(0))});
    }
    for (size_t k = 0; k < starts.size(); ++k) {
      const size_t text_end =
          k + 1 < starts.size() ? starts[k + 1].first - 2 : text.size();  // before ", "
      parts.exit_codes.push_back(
          {text.substr(starts[k].first, starts[k].second - starts[k].first - 1),
           text.substr(starts[k].second, text_end - starts[k].second)});
    }
  }
  notes = std::regex_replace(notes, std::regex("\\s*\n\\s*"), " ");
  parts.notes = std::string(absl::StripAsciiWhitespace(notes));
  return parts;
}

namespace {
void Collect(const CommandDoc& c, std::vector<const CommandDoc*>& out) {
  for (const CommandDoc& sub : c.commands) {
    out.push_back(&sub);
    Collect(sub, out);
  }
}
}  // namespace

std::vector<const CommandDoc*> AllCommands(const CommandDoc& root) {
  std::vector<const CommandDoc*> out;
  Collect(root, out);
  return out;
}

}  // namespace relayguard::docgen
