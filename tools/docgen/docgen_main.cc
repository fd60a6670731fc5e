// relayguard-docgen: writes the man pages and the bash completion at build time (not installed).
//   relayguard-docgen SOURCE_DIR OUT_DIR
// OUT_DIR/man8/{relayguard-agent,relayguard-controller,relayguardctl}.8 from the CLI11 Apps the
// programs parse with; OUT_DIR/man5/relayguard-{agent,controller}.yaml.5 from SOURCE_DIR's
// deploy/etc/{agent,controller}.yaml; OUT_DIR/completions/relayguardctl.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "agent/cli/agent_flags.h"
#include "common/command_line.h"
#include "controller/cli/ctl_app.h"
#include "controller/config/controller_config.h"
#include "tools/docgen/bash_completion.h"
#include "tools/docgen/command_doc.h"
#include "tools/docgen/config_man_page.h"
#include "tools/docgen/program_man_page.h"

namespace {

using namespace relayguard;
using namespace relayguard::docgen;

bool Write(const std::filesystem::path& path, const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "relayguard-docgen: cannot write " << path.string() << "\n";
    return false;
  }
  return true;
}

ManPageInfo Info(const std::string& section, std::vector<std::string> see_also) {
  ManPageInfo info;
  info.section = section;
  // "relayguard 0.1.0": the version every binary's --version prints.
  info.source = VersionText("relayguard");
  info.manual = "relayguard";
  info.see_also = std::move(see_also);
  return info;
}

std::vector<std::string> Keys(const ConfigSchema& schema) {
  std::vector<std::string> keys;
  for (const ConfigSchema::Setting& s : schema.settings()) keys.push_back(s.key);
  return keys;
}

// The page of the shipped `shipped` (deploy/etc/), whose keys are `keys`.
bool WriteConfigPage(const std::string& source_dir, const std::string& out_dir,
                     const std::string& program, const std::string& shipped,
                     const std::vector<std::string>& keys) {
  const std::string file = source_dir + "/deploy/etc/" + shipped;
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    std::cerr << "relayguard-docgen: cannot read " << file << "\n";
    return false;
  }
  absl::StatusOr<ConfigDoc> doc = ParseCommentedConfig(text.str(), file, keys);
  if (!doc.ok()) {
    std::cerr << "relayguard-docgen: " << doc.status().message() << "\n";
    return false;
  }
  const std::string page = program + ".yaml";
  ManPageInfo info = Info("5", {program + "(8)"});
  return Write(out_dir + "/man5/" + page + ".5", ConfigManPage(*doc, page, info));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: relayguard-docgen SOURCE_DIR OUT_DIR\n";
    return 1;
  }
  const std::string source_dir = argv[1], out_dir = argv[2];
  bool ok = true;

  agent::AgentFlags agent_flags;
  CLI::App agent_app;
  agent::BuildAgentApp(agent_app, agent_flags);
  ManPageInfo agent =
      Info("8", {"relayguard-agent.yaml(5)", "relayguard-controller(8)", "relayguardctl(8)"});
  agent.files = {
      {agent::kDefaultAgentConfig, "the configuration file (--config), relayguard-agent.yaml(5)"}};
  ok &= Write(out_dir + "/man8/relayguard-agent.8",
              ProgramManPage(DescribeCommand(agent_app), agent));

  controller::ParsedControllerFlags controller_flags;
  CLI::App controller_app;
  controller::BuildControllerApp(controller_app, controller_flags);
  ManPageInfo controller =
      Info("8", {"relayguard-controller.yaml(5)", "relayguardctl(8)", "relayguard-agent(8)"});
  controller.files = {{controller::kDefaultControllerConfig,
                       "the configuration file (--config), relayguard-controller.yaml(5)"}};
  ok &= Write(out_dir + "/man8/relayguard-controller.8",
              ProgramManPage(DescribeCommand(controller_app), controller));

  controller::CtlContext ctl;
  controller::CtlRun run;
  CLI::App ctl_app;
  controller::BuildCtlApp(ctl_app, ctl, run);
  const CommandDoc ctl_doc = DescribeCommand(ctl_app);
  ok &= Write(
      out_dir + "/man8/relayguardctl.8",
      ProgramManPage(ctl_doc, Info("8", {"relayguard-controller(8)", "relayguard-agent(8)"})));
  ok &= Write(out_dir + "/completions/relayguardctl", BashCompletion(ctl_doc));

  ok &= WriteConfigPage(source_dir, out_dir, "relayguard-agent", "agent.yaml",
                        Keys(agent::AgentConfigSchema(agent_flags)));
  ok &= WriteConfigPage(source_dir, out_dir, "relayguard-controller", "controller.yaml",
                        Keys(controller::ControllerConfigSchema(controller_flags.config)));
  return ok ? 0 : 1;
}
