// A program's man page (man(7) roff), written from its command line (command_doc.h): NAME and
// DESCRIPTION from the description and footer, SYNOPSIS, OPTIONS, COMMANDS with their options,
// EXIT STATUS from the "exit codes:" the footers print, FILES, SEE ALSO.
#ifndef RELAYGUARD_TOOLS_DOCGEN_PROGRAM_MAN_PAGE_H_
#define RELAYGUARD_TOOLS_DOCGEN_PROGRAM_MAN_PAGE_H_

#include <string>
#include <utility>
#include <vector>

#include "tools/docgen/command_doc.h"

namespace relayguard::docgen {

struct ManPageInfo {
  std::string section;  // "8"
  std::string source;   // the footer's left: "relayguard 0.1.0"
  std::string manual;   // the header's centre: "relayguard"
  // FILES: the path and what it is ("the configuration file, relayguard-agent.yaml(5)"). The
  // options whose default is an absolute path are added after these.
  std::vector<std::pair<std::string, std::string>> files;
  std::vector<std::string> see_also;  // "relayguardctl(8)"
};

// After .TH: left-adjusted, not hyphenated (option names and paths stay whole).
constexpr char kLayout[] = ".nr HY 0\n.ad l\n.nh\n";

std::string ProgramManPage(const CommandDoc& program, const ManPageInfo& info);

// ".SH SEE ALSO" with `pages` ("relayguardctl(8)") separated by commas; "" when none.
std::string SeeAlsoSection(const std::vector<std::string>& pages);

}  // namespace relayguard::docgen

#endif  // RELAYGUARD_TOOLS_DOCGEN_PROGRAM_MAN_PAGE_H_
