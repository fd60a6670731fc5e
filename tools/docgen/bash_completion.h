// A bash completion script for a program, written from its command line (command_doc.h):
// commands and nested commands, the options each command takes (with the enclosing commands'
// options where they fall through), files and directories for path values, the choices of a
// choice value. A plain `complete -F` function: works with or without the bash-completion
// package.
#ifndef RELAYGUARD_TOOLS_DOCGEN_BASH_COMPLETION_H_
#define RELAYGUARD_TOOLS_DOCGEN_BASH_COMPLETION_H_

#include <string>

#include "tools/docgen/command_doc.h"

namespace relayguard::docgen {

std::string BashCompletion(const CommandDoc& program);

}  // namespace relayguard::docgen

#endif  // RELAYGUARD_TOOLS_DOCGEN_BASH_COMPLETION_H_
