// relayguardctl hosts: the fleet as the controller knows it.
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/table.h"
#include "controller/cli/commands/commands.h"

namespace relayguard::controller {
namespace pb = ::relayguard::v1;

void AddHostsCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("hosts", "every host: online, MTA, applied policy");
  AddJsonFlag(*cmd, *json);
  OnChosen(*cmd, run, [&ctl, json] {
      return ctl.WithStub([&](pb::Operator::Stub& stub) {
        pb::ListHostsResponse r;
        if (grpc::Status s = stub.ListHosts(CallContext().get(), {}, &r); !s.ok()) {
          return ctl.Fail(s);
        }
        if (*json) {
          std::cout << ProtoJson(r);
          return kCtlExitOk;
        }
        Table t({{"HOST", 24}, {"STATE", 8}, {"MTA", 18}, {"POLICY"}});
        for (const pb::HostInfo& h : r.hosts()) {
          t.AddRow({h.name(), h.online() ? "online" : "offline",
                    absl::StrCat(h.mta(), " ", h.mta_version()),
                    h.applied_policy().empty()
                        ? "-"
                        : absl::StrCat(h.applied_policy(), " v", h.applied_version())});
        }
        std::cout << t.Render();
        return kCtlExitOk;
      });
  });
}

}  // namespace relayguard::controller
