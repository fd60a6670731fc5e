// The command lines of relayguardctl and relayguard-controller, driving the real binaries
// (nothing connects: every case ends in parsing): each command's options, unknown options
// (exit 1, naming the option), --help per command, --version.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/postfix_lab.h"

namespace relayguard::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kCtl = std::string(RG_BINARY_DIR) + "/controller/relayguardctl";
const std::string kController = std::string(RG_BINARY_DIR) + "/controller/relayguard-controller";

int RunBinary(const std::string& binary, std::vector<std::string> args, std::string* out) {
  args.insert(args.begin(), binary);
  return RunCommand(args, out);
}

TEST(CtlCommandLineTest, AnOptionOfAnotherCommandIsAUsageError) {
  struct Case {
    std::vector<std::string> args;
    std::string names;
  };
  for (const Case& c : std::vector<Case>{
           {{"hosts", "--budget", "3"}, "--budget"},
           {{"--insecure", "audit", "--wait"}, "--wait"},
           {{"rollout", "list", "--label", "a=b"}, "--label"},
           {{"compliance", "--waves", "1"}, "--waves"},
           {{"scan", "127.0.0.1:25", "--controller-typo", "x"}, "--controller-typo"},
           {{}, "no command given"},
           {{"frobnicate"}, "frobnicate"},
           {{"rollout"}, "subcommand"},
           {{"rollout", "start"}, "POLICY"},
           {{"rollout", "status"}, "ID"},
           {{"history"}, "HOST"},
           {{"rollout", "start", "p", "--budget", "-1"}, "--budget"},
           {{"rollout", "start", "p", "--label", "novalue"}, "KEY=VALUE"},
           {{"compliance", "--json", "--csv"}, "--csv"},
           {{"compliance", "--host", "a,b"}, "one host"},
           {{"attempts", "--host", "a,b"}, "one host"},
           {{"attempts", "--since", "10w"}, "unknown unit"},
           {{"attempts", "--limit", "0"}, "--limit"},
           {{"audit", "--limit", "x"}, "--limit"},
           {{"scan"}, "TARGET"},
           {{"scan", "127.0.0.1:25", "--starttls", "maybe"}, "maybe"},
           {{"scan", "127.0.0.1:25", "--concurrency", "0"}, "--concurrency"},
           {{"scan", "127.0.0.1:25", "--tls-on-connect", "465,x"}, "--tls-on-connect"},
           {{"scan", "127.0.0.1:25", "--from", "nowhere"}, "--from"},
           {{"--ca", "/nonexistent/ca.crt", "hosts"}, "/nonexistent/ca.crt"},
       }) {
    std::string out;
    EXPECT_EQ(RunBinary(kCtl, c.args, &out), 1) << ::testing::PrintToString(c.args) << out;
    EXPECT_THAT(out, HasSubstr(c.names)) << ::testing::PrintToString(c.args);
  }
}

TEST(CtlCommandLineTest, MissingCredentialsAreAUsageError) {
  std::string out;
  EXPECT_EQ(RunBinary(kCtl, {"hosts"}, &out), 1);
  EXPECT_THAT(out, HasSubstr("--insecure"));
}

TEST(CtlCommandLineTest, HelpPerCommandListsExactlyItsOptions) {
  struct Case {
    std::vector<std::string> command;
    std::vector<std::string> has, has_not;
  };
  for (const Case& c : std::vector<Case>{
           {{"hosts"}, {"--json"}, {"--budget", "--limit", "--wait"}},
           {{"plan"}, {"POLICY", "--hosts", "--label", "--json"}, {"--budget", "--wait"}},
           {{"rollout", "start"},
            {"POLICY", "--hosts", "--label", "--waves", "--budget", "--pause-between-waves",
             "--rollback-on-halt", "--offline-deadline", "--reason", "audit log", "--wait",
             "--json"},
            {"--limit", "--no-wait"}},
           {{"rollout", "status"}, {"ID", "--wait", "--json"}, {"--budget", "--waves", "--reason"}},
           {{"rollout", "abort"}, {"ID", "--reason"}, {"--budget"}},
           {{"rollout", "pause"}, {"ID", "--reason"}, {"--budget"}},
           {{"rollout", "resume"}, {"ID", "--reason"}, {"--budget"}},
           {{"rollout", "list"}, {"--json"}, {"--wait", "--budget"}},
           {{"rollback"}, {"--rollout", "--hosts", "--label", "--reason", "--no-wait", "--json"},
            {"--budget", "--waves"}},
           {{"history"}, {"HOST", "--limit", "--json"}, {"--wait", "--budget"}},
           {{"audit"}, {"--limit", "--json", "reason"}, {"--wait", "--reason"}},
           {{"compliance"},
            {"--host", "--history", "--limit", "--diff", "--json", "--csv", "exit codes"},
            {"--wait", "--budget"}},
           {{"attempts"}, {"--host", "--since", "--limit", "--json", "RFC 3339"},
            {"--wait", "--budget", "--csv"}},
           {{"playbooks", "reload"}, {"--json"}, {"--limit"}},
           {{"scan"},
            {"TARGET", "--from", "--concurrency", "--timeout-s", "--sender-domain",
             "--victim-domain", "--data", "--starttls", "--tls-on-connect", "--json", "--csv"},
            {"--wait", "--budget"}},
       }) {
    std::vector<std::string> args = c.command;
    args.push_back("--help");
    std::string out;
    ASSERT_EQ(RunBinary(kCtl, args, &out), 0) << out;
    for (const std::string& o : c.has) {
      EXPECT_THAT(out, HasSubstr(o)) << ::testing::PrintToString(c.command);
    }
    for (const std::string& o : c.has_not) {
      EXPECT_THAT(out, Not(HasSubstr(o))) << ::testing::PrintToString(c.command);
    }
  }
  std::string out;
  ASSERT_EQ(RunBinary(kCtl, {"--help"}, &out), 0);
  for (const char* o : {"--controller", "--ca", "--cert", "--key", "--insecure", "--version",
                        "hosts", "plan", "rollout", "rollback", "history", "audit", "compliance",
                        "attempts", "playbooks", "scan", "exit codes"}) {
    EXPECT_THAT(out, HasSubstr(o));
  }
}

TEST(CtlCommandLineTest, EveryBinaryHasTheProjectVersion) {
  for (const auto& [binary, name] :
       std::vector<std::pair<std::string, std::string>>{
           {kCtl, "relayguardctl"},
           {kController, "relayguard-controller"},
           {std::string(RG_BINARY_DIR) + "/agent/relayguard-agent", "relayguard-agent"}}) {
    std::string out;
    EXPECT_EQ(RunBinary(binary, {"--version"}, &out), 0);
    EXPECT_EQ(out, name + " " + RELAYGUARD_TEST_VERSION + "\n");
  }
}

TEST(ControllerCommandLineTest, OptionsAreCheckedBeforeAnythingStarts) {
  struct Case {
    std::vector<std::string> args;
    std::string names;
  };
  for (const Case& c : std::vector<Case>{
           {{"--budget", "3"}, "--budget"},
           {{"--agent-timeout-s", "0"}, "--agent-timeout-s"},
           {{"--agent-timeout-s", "soon"}, "--agent-timeout-s"},
           {{"--log-level", "loud"}, "loud"},
           {{"--ca", "/nonexistent/ca.crt"}, "/nonexistent/ca.crt"},
           {{"stray"}, "stray"},
       }) {
    std::string out;
    EXPECT_EQ(RunBinary(kController, c.args, &out), 1) << ::testing::PrintToString(c.args) << out;
    EXPECT_THAT(out, HasSubstr(c.names)) << ::testing::PrintToString(c.args);
  }
  std::string out;
  EXPECT_EQ(RunBinary(kController, {"--state-dir", "/nonexistent-rg"}, &out), 1);
  EXPECT_THAT(out, HasSubstr("--insecure"));
  ASSERT_EQ(RunBinary(kController, {"--help"}, &out), 0);
  for (const char* o : {"--listen", "--playbooks", "--state-dir", "--ca", "--cert", "--key",
                        "--insecure", "--agent-timeout-s", "--log-level", "--version"}) {
    EXPECT_THAT(out, HasSubstr(o));
  }
}

}  // namespace
}  // namespace relayguard::testing
