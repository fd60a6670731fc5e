// relayguard-agent's command line (agent/cli/agent_flags.cc): every command's options, the
// global options before or after the command, usage errors (exit 1, naming the option),
// --help per command, --version.
#include "agent/cli/agent_flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Parsed {
  ParsedAgentFlags parsed;
  std::string out, err;
};

Parsed Parse(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  Parsed p{ParseAgentFlags(args, out, err), "", ""};
  p.out = out.str();
  p.err = err.str();
  return p;
}

TEST(AgentFlagsTest, EveryCommandTakesItsOwnOptions) {
  Parsed p = Parse({"--mta", "postfix", "--mta-config-dir", "/etc/postfix/", "--state-dir",
                    "/var/lib/rg", "apply", "--policy", "p.yaml", "--dry-run", "--json"});
  ASSERT_FALSE(p.parsed.exit_code) << p.err;
  const AgentFlags& f = p.parsed.flags;
  EXPECT_EQ(f.command, AgentCommand::kApply);
  EXPECT_EQ(f.mta.mta, "postfix");
  EXPECT_EQ(f.mta.config_dir, "/etc/postfix");  // trailing slash dropped
  EXPECT_EQ(f.state_dir, "/var/lib/rg");
  EXPECT_EQ(f.policy, "p.yaml");
  EXPECT_TRUE(f.apply.dry_run);
  EXPECT_TRUE(f.json);

  p = Parse({"rollback", "--to", "abc123", "--policy", "p.yaml"});
  ASSERT_FALSE(p.parsed.exit_code) << p.err;
  EXPECT_EQ(p.parsed.flags.command, AgentCommand::kRollback);
  EXPECT_EQ(p.parsed.flags.rollback.to, "abc123");

  p = Parse({"history", "--limit", "3"});
  ASSERT_FALSE(p.parsed.exit_code) << p.err;
  EXPECT_EQ(p.parsed.flags.history.limit, 3u);

  p = Parse({"diff", "abc123"});
  ASSERT_FALSE(p.parsed.exit_code) << p.err;
  EXPECT_EQ(p.parsed.flags.diff.commit, "abc123");

  p = Parse({"status"});
  ASSERT_FALSE(p.parsed.exit_code) << p.err;
  EXPECT_EQ(p.parsed.flags.command, AgentCommand::kStatus);
  EXPECT_FALSE(p.parsed.flags.policy);

  p = Parse({"check", "--policy", "p.yaml", "--log-level", "info"});
  ASSERT_FALSE(p.parsed.exit_code) << p.err;
  EXPECT_EQ(p.parsed.flags.command, AgentCommand::kCheck);
  EXPECT_EQ(p.parsed.flags.log_level, "info");

  p = Parse({"probe", "--smtp", "127.0.0.1:25", "--from", "127.0.0.9", "--tls-on-connect"});
  ASSERT_FALSE(p.parsed.exit_code) << p.err;
  EXPECT_EQ(p.parsed.flags.command, AgentCommand::kProbe);
  EXPECT_EQ(p.parsed.flags.smtp, "127.0.0.1:25");
  EXPECT_EQ(p.parsed.flags.probe.from, "127.0.0.9");
  EXPECT_TRUE(p.parsed.flags.probe.tls_on_connect);

  p = Parse({"--mta-bin-dir", "/opt/sbin", "run", "--controller", "127.0.0.1:7443", "--host",
             "mx1", "--label", "site=lab", "--label", "tier=edge", "--insecure",
             "--heartbeat-s", "5"});
  ASSERT_FALSE(p.parsed.exit_code) << p.err;
  const RunFlags& run = p.parsed.flags.run;
  EXPECT_EQ(p.parsed.flags.command, AgentCommand::kRun);
  EXPECT_EQ(p.parsed.flags.mta.bin_dir, "/opt/sbin");
  EXPECT_EQ(run.controller, "127.0.0.1:7443");
  EXPECT_EQ(run.host, "mx1");
  EXPECT_EQ(run.labels, (std::map<std::string, std::string>{{"site", "lab"}, {"tier", "edge"}}));
  EXPECT_TRUE(run.insecure);
  EXPECT_EQ(run.heartbeat_s, 5);
}

TEST(AgentFlagsTest, DefaultsAreTheDocumentedOnes) {
  Parsed p = Parse({"history"});
  ASSERT_FALSE(p.parsed.exit_code) << p.err;
  const AgentFlags& f = p.parsed.flags;
  EXPECT_EQ(f.mta.mta, "auto");
  EXPECT_EQ(f.mta.bin_dir, "/usr/sbin");
  EXPECT_EQ(f.state_dir, "/var/lib/relayguard");
  EXPECT_EQ(f.log_level, "warn");
  EXPECT_EQ(f.history.limit, 50u);
  EXPECT_EQ(f.run.heartbeat_s, 30);
  EXPECT_FALSE(f.json);
}

TEST(AgentFlagsTest, GlobalOptionsMayFollowTheCommand) {
  Parsed p = Parse({"status", "--state-dir", "/tmp/rg", "--mta", "exim", "--json"});
  ASSERT_FALSE(p.parsed.exit_code) << p.err;
  EXPECT_EQ(p.parsed.flags.state_dir, "/tmp/rg");
  EXPECT_EQ(p.parsed.flags.mta.mta, "exim");
  EXPECT_TRUE(p.parsed.flags.json);
}

TEST(AgentFlagsTest, UsageErrorsExitOneAndNameTheProblem) {
  struct Case {
    std::vector<std::string> args;
    std::string names;
  };
  for (const Case& c : std::vector<Case>{
           {{}, "no command given"},
           {{"frobnicate"}, "frobnicate"},
           {{"history", "--dry-run"}, "--dry-run"},  // apply's option, not history's
           {{"status", "--to", "abc"}, "--to"},
           {{"apply"}, "--policy"},
           {{"apply", "--policy"}, "--policy"},
           {{"diff"}, "COMMIT"},
           {{"diff", "a", "b"}, "b"},
           {{"probe"}, "--smtp"},
           {{"run", "--host", "mx1", "--insecure"}, "--controller"},
           {{"run", "--controller", "c:1", "--host", "mx1"}, "--insecure"},
           {{"--mta", "qmail", "status"}, "--mta qmail is not one of auto, postfix, exim, sendmail"},
           {{"--state-dir", "relative", "status"}, "relative"},
           {{"history", "--limit", "0"}, "--limit"},
           {{"history", "--limit", "x"}, "--limit"},
           {{"run", "--controller", "c:1", "--host", "h", "--insecure", "--heartbeat-s", "0"},
            "--heartbeat-s"},
           {{"run", "--controller", "c:1", "--host", "h", "--insecure", "--label", "nokey"},
            "KEY=VALUE"},
           {{"--log-level", "loud", "status"}, "loud"},
       }) {
    Parsed p = Parse(c.args);
    ASSERT_TRUE(p.parsed.exit_code) << ::testing::PrintToString(c.args);
    EXPECT_EQ(*p.parsed.exit_code, 1) << ::testing::PrintToString(c.args);
    EXPECT_THAT(p.err, HasSubstr(c.names)) << ::testing::PrintToString(c.args);
    EXPECT_THAT(p.err, HasSubstr("--help")) << ::testing::PrintToString(c.args);
    EXPECT_EQ(p.out, "");
  }
}

TEST(AgentFlagsTest, HelpPerCommandListsExactlyItsOptions) {
  struct Case {
    std::string command;
    std::vector<std::string> has, has_not;
  };
  for (const Case& c : std::vector<Case>{
           {"apply", {"--policy", "--dry-run"}, {"--to", "--limit", "--controller"}},
           {"rollback", {"--to", "--policy"}, {"--dry-run", "--limit"}},
           {"history", {"--limit"}, {"--policy", "--to"}},
           {"diff", {"COMMIT"}, {"--policy"}},
           {"status", {"--policy"}, {"--dry-run", "--limit"}},
           {"check", {"--policy"}, {"--dry-run"}},
           {"probe", {"--smtp", "--from", "--policy", "--tls-on-connect"}, {"--dry-run"}},
           {"run",
            {"--controller", "--host", "--label", "--ca", "--cert", "--key", "--insecure",
             "--heartbeat-s"},
            {"--policy", "--dry-run"}},
       }) {
    Parsed p = Parse({c.command, "--help"});
    ASSERT_EQ(p.parsed.exit_code, 0) << c.command;
    for (const std::string& o : c.has) EXPECT_THAT(p.out, HasSubstr(o)) << c.command;
    for (const std::string& o : c.has_not) EXPECT_THAT(p.out, Not(HasSubstr(o))) << c.command;
  }
  Parsed p = Parse({"--help"});
  ASSERT_EQ(p.parsed.exit_code, 0);
  for (const char* o : {"--mta", "--mta-config-dir", "--mta-bin-dir", "--exim-config",
                        "--exim-generated", "--sendmail-cf-dir", "--m4", "--state-dir", "--smtp",
                        "--json", "--log-level", "--version", "apply", "rollback", "history",
                        "diff", "status", "check", "probe", "run", "exit codes"}) {
    EXPECT_THAT(p.out, HasSubstr(o));
  }
}

TEST(AgentFlagsTest, VersionIsTheProjectVersion) {
  Parsed p = Parse({"--version"});
  ASSERT_EQ(p.parsed.exit_code, 0);
  EXPECT_EQ(p.out, std::string("relayguard-agent ") + RELAYGUARD_TEST_VERSION + "\n");
}

}  // namespace
}  // namespace relayguard::agent
