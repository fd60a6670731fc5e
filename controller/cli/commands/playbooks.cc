// relayguardctl playbooks reload: the controller re-reads its playbook directory.
#include <iostream>
#include <memory>

#include "controller/cli/commands/commands.h"

namespace relayguard::controller {
namespace pb = ::relayguard::v1;

void AddPlaybooksCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run) {
  CLI::App* playbooks = app.add_subcommand("playbooks", "the controller's playbooks");
  playbooks->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  CLI::App* reload =
      playbooks->add_subcommand("reload", "re-read the controller's playbook directory");
  AddJsonFlag(*reload, *json);
  OnChosen(*reload, run, [&ctl, json] {
      return ctl.WithStub([&](pb::Operator::Stub& stub) {
        pb::ReloadPlaybooksResponse r;
        if (grpc::Status s = stub.ReloadPlaybooks(CallContext().get(), {}, &r); !s.ok()) {
          return ctl.Fail(s);
        }
        if (*json) {
          std::cout << ProtoJson(r);
        } else {
          for (const std::string& l : r.loaded()) std::cout << "loaded " << l << "\n";
          for (const std::string& e : r.errors()) std::cout << "error  " << e << "\n";
        }
        return r.errors().empty() ? kCtlExitOk : kCtlExitFailed;
      });
  });
}

}  // namespace relayguard::controller
