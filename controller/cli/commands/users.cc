// relayguardctl users add|passwd|remove|list: the dashboard's accounts (roles viewer, operator,
// admin). The controller checks names and passwords, hashes them and audits every change.
#include <iostream>
#include <memory>
#include <string>

#include "common/command_line.h"
#include "common/table.h"
#include "controller/cli/commands/commands.h"
#include "controller/cli/commands/users_password.h"

namespace relayguard::controller {
namespace pb = ::relayguard::v1;

namespace {

struct UserFlags {
  std::string name;
  std::string role;
  bool password_stdin = false;
  bool json = false;
};

pb::UserRole RoleToProto(const std::string& role) {
  if (role == "admin") return pb::USER_ROLE_ADMIN;
  if (role == "operator") return pb::USER_ROLE_OPERATOR;
  return pb::USER_ROLE_VIEWER;  // the only other value --role lets through
}

std::string RoleText(pb::UserRole role) {
  switch (role) {
    case pb::USER_ROLE_VIEWER: return "viewer";
    case pb::USER_ROLE_OPERATOR: return "operator";
    case pb::USER_ROLE_ADMIN: return "admin";
    default: return "unknown";
  }
}

// The password for `f.name`, or the exit code after saying why there is none.
int ReadPassword(const UserFlags& f, std::string* password) {
  absl::StatusOr<std::string> read = ReadNewPassword(f.name, f.password_stdin);
  if (!read.ok()) {
    std::cerr << "relayguardctl: " << read.status().message() << "\n";
    return kCtlExitUsage;
  }
  *password = *std::move(read);
  return kCtlExitOk;
}

int Add(const CtlContext& ctl, const UserFlags& f) {
  pb::AddUserRequest req;
  req.set_name(f.name);
  req.set_role(RoleToProto(f.role));
  if (int exit = ReadPassword(f, req.mutable_password()); exit != kCtlExitOk) return exit;
  return ctl.WithStub([&](pb::Operator::Stub& stub) {
    pb::UserInfo r;
    if (grpc::Status s = stub.AddUser(CallContext().get(), req, &r); !s.ok()) return ctl.Fail(s);
    std::cout << "added " << r.name() << " (" << RoleText(r.role()) << ")\n";
    return kCtlExitOk;
  });
}

int Passwd(const CtlContext& ctl, const UserFlags& f) {
  pb::SetUserPasswordRequest req;
  req.set_name(f.name);
  if (int exit = ReadPassword(f, req.mutable_password()); exit != kCtlExitOk) return exit;
  return ctl.WithStub([&](pb::Operator::Stub& stub) {
    pb::UserInfo r;
    if (grpc::Status s = stub.SetUserPassword(CallContext().get(), req, &r); !s.ok()) {
      return ctl.Fail(s);
    }
    std::cout << "changed the password of " << r.name() << "; their sessions have ended\n";
    return kCtlExitOk;
  });
}

int Remove(const CtlContext& ctl, const UserFlags& f) {
  return ctl.WithStub([&](pb::Operator::Stub& stub) {
    pb::RemoveUserRequest req;
    req.set_name(f.name);
    pb::RemoveUserResponse r;
    if (grpc::Status s = stub.RemoveUser(CallContext().get(), req, &r); !s.ok()) {
      return ctl.Fail(s);
    }
    std::cout << "removed " << f.name << "; their sessions have ended\n";
    return kCtlExitOk;
  });
}

int List(const CtlContext& ctl, const UserFlags& f) {
  return ctl.WithStub([&](pb::Operator::Stub& stub) {
    pb::ListUsersResponse r;
    if (grpc::Status s = stub.ListUsers(CallContext().get(), {}, &r); !s.ok()) return ctl.Fail(s);
    if (f.json) {
      std::cout << ProtoJson(r);
      return kCtlExitOk;
    }
    Table t({{"NAME", 16}, {"ROLE", 9}, {"CREATED", 20}, {"PASSWORD CHANGED"}});
    for (const pb::UserInfo& u : r.users()) {
      t.AddRow({u.name(), RoleText(u.role()), LocalWhen(u.created_at()),
                LocalWhen(u.password_changed_at())});
    }
    std::cout << t.Render();
    return kCtlExitOk;
  });
}

void AddPasswordStdin(CLI::App& cmd, bool& flag) {
  cmd.add_flag("--password-stdin", flag,
               "read the password as one line from standard input (else, on a terminal, it is "
               "asked twice without echo)");
}

}  // namespace

void AddUsersCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run) {
  CLI::App* users = app.add_subcommand(
      "users", "the dashboard's accounts: viewer (read), operator (also rollouts and rollbacks), "
               "admin (also users and playbook reload)");
  users->require_subcommand(1);

  auto add_flags = std::make_shared<UserFlags>();
  CLI::App* add = users->add_subcommand("add", "add a dashboard user");
  add->add_option("NAME", add_flags->name, "the user name: a-z, 0-9, '.', '_', '-'")->required();
  add->add_option("--role", add_flags->role, "what the user may do")
      ->required()
      ->type_name("ROLE")
      ->check(OneOf({"viewer", "operator", "admin"}));
  AddPasswordStdin(*add, add_flags->password_stdin);
  OnChosen(*add, run, [&ctl, add_flags] { return Add(ctl, *add_flags); });

  auto passwd_flags = std::make_shared<UserFlags>();
  CLI::App* passwd =
      users->add_subcommand("passwd", "set a user's password (ends all of the user's sessions)");
  passwd->add_option("NAME", passwd_flags->name, "the user")->required();
  AddPasswordStdin(*passwd, passwd_flags->password_stdin);
  OnChosen(*passwd, run, [&ctl, passwd_flags] { return Passwd(ctl, *passwd_flags); });

  auto remove_flags = std::make_shared<UserFlags>();
  CLI::App* remove =
      users->add_subcommand("remove", "remove a user (ends all of the user's sessions)");
  remove->add_option("NAME", remove_flags->name, "the user")->required();
  OnChosen(*remove, run, [&ctl, remove_flags] { return Remove(ctl, *remove_flags); });

  auto list_flags = std::make_shared<UserFlags>();
  CLI::App* list = users->add_subcommand("list", "every user with role and dates");
  AddJsonFlag(*list, list_flags->json);
  OnChosen(*list, run, [&ctl, list_flags] { return List(ctl, *list_flags); });
}

}  // namespace relayguard::controller
