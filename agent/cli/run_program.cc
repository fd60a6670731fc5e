#include "agent/cli/run_program.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "agent/cli/agent_cli.h"

namespace relayguard::agent {

std::string RunProgramPath() {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error || self.empty()) return RELAYGUARD_AGENT_RUN_INSTALLED;
  return (self.parent_path() / RELAYGUARD_AGENT_RUN_RELATIVE).lexically_normal().string();
}

int ExecRunProgram(const std::string& program, const std::vector<std::string>& args,
                   std::ostream& out, std::ostream& err) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // exec drops what the streams still buffer.
  out.flush();
  err.flush();
  execv(program.c_str(), argv.data());
  err << "relayguard-agent: cannot start " << program << " (the program of `run`): "
      << std::strerror(errno) << "; reinstall relayguard-agent\nnothing was changed\n";
  return kExitRefused;
}

}  // namespace relayguard::agent
