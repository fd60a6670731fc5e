#include "tools/docgen/program_man_page.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/docgen/roff.h"

namespace relayguard::docgen {
namespace {

// "relayguard-agent: closes ..." -> "closes ...": the program's name is said already.
std::string WithoutProgramName(const std::string& description, const std::string& program) {
  const std::string prefix = program + ": ";
  return absl::StartsWith(description, prefix) ? description.substr(prefix.size()) : description;
}

// "--mta {auto, exim}", "-h, --help", "POLICY": how an option reads in a tag line.
std::string OptionTag(const OptionDoc& o) {
  if (o.positional) return Italic(o.names.front()) + (o.repeatable ? "\\ ..." : "");
  std::vector<std::string> names;
  for (const std::string& n : o.names) names.push_back(Bold(n));
  std::string tag = absl::StrJoin(names, ", ");
  if (!o.value.empty()) tag += " " + Italic(o.value);
  return tag;
}

// The option's help and what --help shows after its name: default, required, repeatable.
std::string OptionBody(const OptionDoc& o) {
  std::vector<std::string> more;
  if (!o.default_value.empty()) more.push_back("Default: " + o.default_value + ".");
  if (o.required) more.push_back("Required.");
  if (o.repeatable && !absl::StrContains(o.help, "repeatable")) {
    more.push_back(o.positional ? "One or more." : "Repeatable.");
  }
  if (!o.excludes.empty()) more.push_back("Not with " + absl::StrJoin(o.excludes, ", ") + ".");
  std::string help = o.help;
  if (!help.empty() && help.back() != '.') help += ".";
  more.insert(more.begin(), help);
  return Roff(absl::StrJoin(more, " "));
}

void WriteOptions(const std::vector<OptionDoc>& options, std::string& out) {
  for (const OptionDoc& o : options) {
    out += ".TP\n" + OptionTag(o) + "\n" + OptionBody(o) + "\n";
  }
}

// "relayguardctl [OPTIONS] rollout start [OPTIONS] POLICY"
std::string SynopsisLine(const CommandDoc& program, const CommandDoc* command) {
  std::string line = Bold(program.path.front()) + " [" + Italic("OPTIONS") + "]";
  if (command == nullptr) return line;
  line += " " + Bold(command->CommandName());
  const auto& opts = command->options;
  for (const OptionDoc& o : opts) {  // the required options by name
    if (!o.positional && o.required) line += " " + Bold(o.names.back()) + " " + Italic(o.value);
  }
  const bool more_options = std::any_of(opts.begin(), opts.end(), [](const OptionDoc& o) {
    return !o.positional && !o.required && o.names.back() != "--help";
  });
  if (more_options) line += " [" + Italic("OPTIONS") + "]";
  for (const OptionDoc& o : opts) {
    if (!o.positional) continue;
    std::string arg = Italic(o.names.front()) + (o.repeatable ? "\\ ..." : "");
    line += " " + (o.required ? arg : "[" + arg + "]");
  }
  return line;
}

void WriteExitCodes(const FooterParts& parts, std::string& out) {
  for (const auto& [code, meaning] : parts.exit_codes) {
    out += ".TP\n.B " + code + "\n" + Roff(meaning) + "\n";
  }
}

// The notes that most commands' footers share (said once, before the commands).
std::string CommonNotes(const std::vector<const CommandDoc*>& commands) {
  std::map<std::string, int> count;
  for (const CommandDoc* c : commands) ++count[SplitFooter(c->footer).notes];
  std::string common;
  int most = 0;
  for (const auto& [notes, n] : count) {
    if (!notes.empty() && n > most) common = notes, most = n;
  }
  return common;
}

void WriteCommand(const CommandDoc& c, const CommandDoc& program, const FooterParts& root,
                  const std::string& common_notes, std::string& out) {
  out += ".SS " + RoffArg(c.CommandName()) + "\n";
  if (c.commands.empty()) out += SynopsisLine(program, &c) + "\n.PP\n";
  out += Roff(c.description) + "\n";
  if (!c.commands.empty()) {
    std::vector<std::string> names;
    for (const CommandDoc& sub : c.commands) names.push_back(sub.path.back());
    out += ".PP\n" + Roff(absl::StrCat("Commands: ", absl::StrJoin(names, ", "), ".")) + "\n";
  }
  std::vector<OptionDoc> options;
  for (const OptionDoc& o : c.options) {
    if (o.names.back() != "--help") options.push_back(o);  // every command takes it
  }
  WriteOptions(options, out);
  const FooterParts parts = SplitFooter(c.footer);
  if (!parts.notes.empty() && parts.notes != common_notes) {
    out += ".PP\n" + Roff(parts.notes) + "\n";
  }
  // The program's EXIT STATUS lists the codes every command shares; a command says its own.
  const bool own_codes =
      std::any_of(parts.exit_codes.begin(), parts.exit_codes.end(), [&root](const auto& code) {
        return std::find(root.exit_codes.begin(), root.exit_codes.end(), code) ==
               root.exit_codes.end();
      });
  if (own_codes) {
    out += ".PP\n" + Roff("Exit status: " + parts.exit_codes_text + ".") + "\n";
  }
}

}  // namespace

std::string SeeAlsoSection(const std::vector<std::string>& pages) {
  if (pages.empty()) return "";
  std::string out = ".SH \"SEE ALSO\"\n";
  for (size_t i = 0; i < pages.size(); ++i) {
    const std::string after = i + 1 < pages.size() ? "," : "";
    const size_t open = pages[i].find('(');  // ".BR relayguardctl (8),"
    out += open == std::string::npos ? ".BR " + RoffArg(pages[i]) + " " + RoffArg(after) + "\n"
                                     : ".BR " + RoffArg(pages[i].substr(0, open)) + " " +
                                           RoffArg(pages[i].substr(open) + after) + "\n";
  }
  return out;
}

std::string ProgramManPage(const CommandDoc& program, const ManPageInfo& info) {
  const std::string& name = program.path.front();
  const FooterParts root = SplitFooter(program.footer);
  const std::vector<const CommandDoc*> commands = AllCommands(program);
  std::string out;
  out += ".\\\" Generated by relayguard-docgen (tools/docgen) from the command line that " + name +
         "\n.\\\" parses; do not edit.\n";
  out += ".TH " + RoffArg(absl::AsciiStrToUpper(name)) + " " + info.section + " \"\" " +
         RoffArg(info.source) + " " + RoffArg(info.manual) + "\n";
  out += kLayout;
  out += ".SH NAME\n" + Roff(name) + " \\- " + Roff(WithoutProgramName(program.description, name)) +
         "\n";

  out += ".SH SYNOPSIS\n";
  std::vector<std::string> lines;
  if (!program.needs_subcommand) lines.push_back(SynopsisLine(program, nullptr));
  for (const CommandDoc* c : commands) {
    if (c->commands.empty()) lines.push_back(SynopsisLine(program, c));
  }
  out += absl::StrJoin(lines, "\n.br\n") + "\n";

  out += ".SH DESCRIPTION\n" + Bold(name) + ": " +
         Roff(WithoutProgramName(program.description, name)) + ".\n";
  if (!root.notes.empty()) out += ".PP\n" + Roff(root.notes) + "\n";
  const std::string common_notes = CommonNotes(commands);

  out += ".SH OPTIONS\n";
  WriteOptions(program.options, out);

  if (!commands.empty()) {
    out += ".SH COMMANDS\n" + Roff("Every command takes -h, --help: the command's options.") + "\n";
    if (!common_notes.empty()) out += ".PP\n" + Roff(common_notes) + "\n";
    for (const CommandDoc* c : commands) WriteCommand(*c, program, root, common_notes, out);
  }

  if (!root.exit_codes.empty()) {
    out += ".SH \"EXIT STATUS\"\n";
    WriteExitCodes(root, out);
  }

  std::vector<std::pair<std::string, std::string>> files = info.files;
  auto add_defaults = [&files](const std::vector<OptionDoc>& options) {
    for (const OptionDoc& o : options) {
      const bool listed = std::any_of(files.begin(), files.end(),
                                      [&o](const auto& f) { return f.first == o.default_value; });
      if (absl::StartsWith(o.default_value, "/") && !listed) {
        files.push_back({o.default_value, o.help + " (" + o.names.back() + ")"});
      }
    }
  };
  add_defaults(program.options);
  for (const CommandDoc* c : commands) add_defaults(c->options);
  if (!files.empty()) {
    out += ".SH FILES\n";
    for (const auto& [path, what] : files) out += ".TP\n" + Italic(path) + "\n" + Roff(what) + "\n";
  }
  return out + SeeAlsoSection(info.see_also);
}

}  // namespace relayguard::docgen
