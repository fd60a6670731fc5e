// relayguardctl users: the command line (options per subcommand, usage errors), and what the
// real binary sends to an operator API: a recording fake Operator service on 127.0.0.1 receives
// the name, the role and the password read from standard input (line ending stripped), and its
// answers are printed as a table or JSON. The password is never printed.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "relayguard/v1/operator.grpc.pb.h"
#include "tests/support/postfix_lab.h"

extern char** environ;

namespace relayguard::testing {
namespace {

namespace pb = ::relayguard::v1;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kCtl = std::string(RG_BINARY_DIR) + "/controller/relayguardctl";
const char kPassword[] = "a long enough passphrase";

// Runs relayguardctl with `args` and `input` as its standard input (a file, not a terminal);
// stdout and stderr together in *out. Returns the exit code.
int RunCtl(std::vector<std::string> args, const std::string& input, std::string* out) {
  char dir_template[] = "/tmp/rg-ctl-users.XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  WriteFileOrDie(dir + "/in", input);
  args.insert(args.begin(), kCtl);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, (dir + "/in").c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, (dir + "/out").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  EXPECT_EQ(posix_spawn(&pid, kCtl.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  waitpid(pid, &status, 0);
  *out = ReadFileOrDie(dir + "/out");
  std::filesystem::remove_all(dir);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The operator API's user RPCs, recording what arrives and answering as a controller would.
class RecordingOperator final : public pb::Operator::Service {
 public:
  grpc::Status AddUser(grpc::ServerContext*, const pb::AddUserRequest* req,
                       pb::UserInfo* reply) override {
    std::lock_guard<std::mutex> lock(mu);
    added.push_back(*req);
    if (req->name() == "taken") {
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "user taken already exists");
    }
    reply->set_name(req->name());
    reply->set_role(req->role());
    return grpc::Status::OK;
  }
  grpc::Status SetUserPassword(grpc::ServerContext*, const pb::SetUserPasswordRequest* req,
                               pb::UserInfo* reply) override {
    std::lock_guard<std::mutex> lock(mu);
    passwords.push_back(*req);
    reply->set_name(req->name());
    return grpc::Status::OK;
  }
  grpc::Status RemoveUser(grpc::ServerContext*, const pb::RemoveUserRequest* req,
                          pb::RemoveUserResponse*) override {
    std::lock_guard<std::mutex> lock(mu);
    removed.push_back(req->name());
    if (req->name() == "ghost") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "there is no user ghost");
    }
    return grpc::Status::OK;
  }
  grpc::Status ListUsers(grpc::ServerContext*, const pb::ListUsersRequest*,
                         pb::ListUsersResponse* reply) override {
    pb::UserInfo* alice = reply->add_users();
    alice->set_name("alice");
    alice->set_role(pb::USER_ROLE_ADMIN);
    alice->set_created_at(1700000000);
    alice->set_password_changed_at(1700000000);
    pb::UserInfo* bob = reply->add_users();
    bob->set_name("bob");
    bob->set_role(pb::USER_ROLE_VIEWER);
    return grpc::Status::OK;
  }

  std::mutex mu;
  std::vector<pb::AddUserRequest> added;
  std::vector<pb::SetUserPasswordRequest> passwords;
  std::vector<std::string> removed;
};

class CtlUsersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    connect_ = {"--insecure", "--controller", "127.0.0.1:" + std::to_string(port)};
  }
  void TearDown() override { server_->Shutdown(); }

  std::vector<std::string> Args(std::vector<std::string> command) {
    command.insert(command.end(), connect_.begin(), connect_.end());
    return command;
  }

  RecordingOperator service_;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::string> connect_;
};

TEST_F(CtlUsersTest, AddSendsNameRoleAndThePasswordLineFromStdin) {
  std::string out;
  ASSERT_EQ(RunCtl(Args({"users", "add", "carol", "--role", "operator", "--password-stdin"}),
                   std::string(kPassword) + "\n", &out),
            0)
      << out;
  EXPECT_EQ(out, "added carol (operator)\n");
  ASSERT_EQ(RunCtl(Args({"users", "add", "dave", "--role", "admin", "--password-stdin"}),
                   std::string(kPassword) + " 2\r\nsecond line\n", &out),
            0)
      << out;
  std::lock_guard<std::mutex> lock(service_.mu);
  ASSERT_EQ(service_.added.size(), 2u);
  EXPECT_EQ(service_.added[0].name(), "carol");
  EXPECT_EQ(service_.added[0].role(), pb::USER_ROLE_OPERATOR);
  EXPECT_EQ(service_.added[0].password(), kPassword);
  EXPECT_EQ(service_.added[1].role(), pb::USER_ROLE_ADMIN);
  EXPECT_EQ(service_.added[1].password(), std::string(kPassword) + " 2");
}

TEST_F(CtlUsersTest, PasswdSendsTheNewPasswordAndRemoveTheName) {
  std::string out;
  ASSERT_EQ(RunCtl(Args({"users", "passwd", "alice", "--password-stdin"}), kPassword, &out), 0)
      << out;
  EXPECT_THAT(out, HasSubstr("changed the password of alice"));
  EXPECT_THAT(out, Not(HasSubstr(kPassword)));
  ASSERT_EQ(RunCtl(Args({"users", "remove", "bob"}), "", &out), 0) << out;
  EXPECT_EQ(out, "removed bob; their sessions have ended\n");
  std::lock_guard<std::mutex> lock(service_.mu);
  ASSERT_EQ(service_.passwords.size(), 1u);
  EXPECT_EQ(service_.passwords[0].name(), "alice");
  EXPECT_EQ(service_.passwords[0].password(), kPassword);  // no line ending: all of stdin
  EXPECT_THAT(service_.removed, ::testing::ElementsAre("bob"));
}

TEST_F(CtlUsersTest, TheControllersRefusalIsExitTwoWithItsMessage) {
  std::string out;
  EXPECT_EQ(RunCtl(Args({"users", "add", "taken", "--role", "viewer", "--password-stdin"}),
                   kPassword, &out),
            2);
  EXPECT_THAT(out, HasSubstr("user taken already exists"));
  EXPECT_THAT(out, Not(HasSubstr(kPassword)));
  EXPECT_EQ(RunCtl(Args({"users", "remove", "ghost"}), "", &out), 2);
  EXPECT_THAT(out, HasSubstr("there is no user ghost"));
}

TEST_F(CtlUsersTest, ListPrintsATableOrJson) {
  std::string out;
  ASSERT_EQ(RunCtl(Args({"users", "list"}), "", &out), 0) << out;
  EXPECT_THAT(out, ::testing::MatchesRegex(
                       "NAME +ROLE +CREATED +PASSWORD CHANGED\n"
                       "alice +admin +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} +[0-9-]{10} [0-9:]{8}\n"
                       "bob +viewer +- +-\n"));
  ASSERT_EQ(RunCtl(Args({"users", "list", "--json"}), "", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr(R"({"name":"alice","role":"USER_ROLE_ADMIN","created_at":"1700000000")"));
  EXPECT_THAT(out, HasSubstr(R"({"name":"bob","role":"USER_ROLE_VIEWER")"));
}

TEST_F(CtlUsersTest, NoPasswordMeansNothingIsSent) {
  std::string out;
  // Standard input is a file here, not a terminal: no prompt, a usage error.
  EXPECT_EQ(RunCtl(Args({"users", "add", "erin", "--role", "viewer"}), kPassword, &out), 1);
  EXPECT_THAT(out, HasSubstr("not a terminal: give --password-stdin"));
  EXPECT_EQ(RunCtl(Args({"users", "passwd", "erin", "--password-stdin"}), "", &out), 1);
  EXPECT_THAT(out, HasSubstr("standard input ended"));
  std::lock_guard<std::mutex> lock(service_.mu);
  EXPECT_TRUE(service_.added.empty());
  EXPECT_TRUE(service_.passwords.empty());
}

TEST(CtlUsersCommandLineTest, UsageErrorsNameWhatIsWrong) {
  struct Case {
    std::vector<std::string> args;
    std::string names;
  };
  for (const Case& c : std::vector<Case>{
           {{"users"}, "subcommand"},
           {{"users", "add"}, "NAME"},
           {{"users", "add", "bob"}, "--role"},
           {{"users", "add", "bob", "--role", "root"}, "root"},
           {{"users", "passwd"}, "NAME"},
           {{"users", "passwd", "bob", "--role", "admin"}, "--role"},
           {{"users", "remove", "bob", "--password-stdin"}, "--password-stdin"},
           {{"users", "list", "--role", "admin"}, "--role"},
           {{"users", "list", "extra"}, "extra"},
       }) {
    std::string out;
    EXPECT_EQ(RunCtl(c.args, "", &out), 1) << ::testing::PrintToString(c.args) << out;
    EXPECT_THAT(out, HasSubstr(c.names)) << ::testing::PrintToString(c.args);
  }
}

TEST(CtlUsersCommandLineTest, HelpPerCommandListsExactlyItsOptions) {
  struct Case {
    std::vector<std::string> command;
    std::vector<std::string> has, has_not;
  };
  for (const Case& c : std::vector<Case>{
           {{"users"}, {"add", "passwd", "remove", "list", "viewer", "operator", "admin"}, {}},
           {{"users", "add"}, {"NAME", "--role", "--password-stdin"}, {"--json"}},
           {{"users", "passwd"}, {"NAME", "--password-stdin", "sessions"}, {"--role", "--json"}},
           {{"users", "remove"}, {"NAME", "sessions"}, {"--password-stdin", "--role"}},
           {{"users", "list"}, {"--json"}, {"--role", "--password-stdin"}},
       }) {
    std::vector<std::string> args = c.command;
    args.push_back("--help");
    std::string out;
    ASSERT_EQ(RunCtl(args, "", &out), 0) << out;
    for (const std::string& o : c.has) {
      EXPECT_THAT(out, HasSubstr(o)) << ::testing::PrintToString(c.command);
    }
    for (const std::string& o : c.has_not) {
      EXPECT_THAT(out, Not(HasSubstr(o))) << ::testing::PrintToString(c.command);
    }
  }
}

}  // namespace
}  // namespace relayguard::testing
