// relayguard-agent's configuration file (agent/cli/agent_flags.cc over common/config_file.cc):
// the playbooks' strict rules with FILE:LINE:COL, default < file < command line, --config and
// the default path, `config check`, and the shipped deploy/etc/agent.yaml.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "agent/apply/fault_points.h"
#include "agent/cli/agent_cli.h"
#include "agent/cli/agent_flags.h"

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class AgentConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-agent-config-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  // ParseAgentFlags with `default_config` as the default file (the machine's /etc is not read).
  ParsedAgentFlags Parse(const std::vector<std::string>& args,
                         const std::string& default_config = "") {
    std::ostringstream out, err;
    ParsedAgentFlags parsed = ParseAgentFlags(
        args, out, err, default_config.empty() ? dir_ + "/absent.yaml" : default_config);
    out_ = out.str();
    err_ = err.str();
    return parsed;
  }

  std::string dir_, out_, err_;
};

TEST_F(AgentConfigTest, EachRuleIsRefusedWithFileLineAndColumn) {
  struct Case {
    std::string yaml;
    std::string message;  // after "FILE:"
  };
  for (const Case& c : std::vector<Case>{
           // unknown key
           {"mta: postfix\nstate_dirr: /x\n",
            "2:1: state_dirr: unknown field; expected one of: mta, mta_config_dir, exim_config, "
            "exim_generated, mta_bin_dir, sendmail_cf_dir, m4, state_dir, smtp, log_level, "
            "controller, host, labels, ca, cert, key, insecure, heartbeat_s"},
           // wrong types
           {"heartbeat_s: [1]\n", "1:14: heartbeat_s: expected an integer, got a list"},
           {"heartbeat_s: \"10\"\n",
            "1:14: heartbeat_s: expected an integer, got the quoted string \"10\"; write the "
            "number without quotes"},
           {"insecure: yes\n",
            "1:11: insecure: expected true or false (unquoted), got the single value \"yes\""},
           {"state_dir:\n  - /a\n",
            "2:3: state_dir: expected a single value, got a list"},
           {"labels: [a, b]\n",
            "1:9: labels: expected a mapping of label names to values (e.g. site: lab), got a "
            "list"},
           {"- mta\n", "1:1: agent configuration: expected a mapping, got a list"},
           // bad address (the rule for CIDRs and addresses: common/cidr.h)
           {"smtp: 300.1.2.3:25\n",
            "1:7: smtp: \"300.1.2.3:25\": the host must be an IP address: "},
           {"controller: 10.0.0.999:7443\n",
            "1:13: controller: \"10.0.0.999:7443\": the host is not an IP address: "},
           {"controller: bad_host:7443\n",
            "1:13: controller: \"bad_host:7443\": the host \"bad_host\" is not a host name or an "
            "IP address"},
           // bad ports
           {"controller: c.example.org:99999\n",
            "1:13: controller: \"c.example.org:99999\": the port must be a number 1..65535, got "
            "\"99999\""},
           {"controller: c.example.org:0\n",
            "1:13: controller: \"c.example.org:0\": the port must be a number 1..65535, got "
            "\"0\""},
           {"smtp: 127.0.0.1:70000\n",
            "1:7: smtp: \"127.0.0.1:70000\": the port must be a number 1..65535"},
           // a newline in a value
           {"host: \"mx1\\nmx2\"\n",
            "1:7: host: contains a line break or control character: \"mx1\\nmx2\""},
           {"labels:\n  site: \"a\\nb\"\n",
            "2:9: labels.site: contains a line break or control character: \"a\\nb\""},
           // bad enums
           {"mta: qmail\n",
            "1:6: mta: expected one of auto, postfix, exim, sendmail (unquoted), got \"qmail\""},
           {"log_level: \"info\"\n",
            "1:12: log_level: expected one of debug, info, warn, error, off (unquoted), got "
            "\"info\""},
           // other bad values
           {"heartbeat_s: 0\n", "1:14: heartbeat_s: must be between 1 and 3600, got 0"},
           {"state_dir: var/lib/rg\n",
            "1:12: state_dir: needs an absolute path (starting with '/'), got \"var/lib/rg\""},
           {"host: mx1.example.org.\n",
            "1:7: host: \"mx1.example.org.\" is not a valid host name (letters, digits, '-' and "
            "'.', labels of 1 to 63 characters)"},
           {"ca:\n", "1:1: ca: expected a single value, got an empty value"},
           {"mta: postfix\nmta: exim\n", "2:1: mta: duplicate key (first given at 1:1)"},
           {"labels:\n  site: a\n  site: b\n",
            "3:3: labels.site: duplicate label (first given at FILE:2:3)"},
           {"monitor: syslog\n",
            "1:10: monitor: expected one of auto, file, journal, off (unquoted), got \"syslog\""},
           {"monitor_log: mail.log\n",
            "1:14: monitor_log: needs an absolute path (starting with '/'), got \"mail.log\""},
           {"monitor_journal_match: postfix\n",
            "1:24: monitor_journal_match: needs FIELD=VALUE items separated by commas"},
           {"monitor_journal_match: \"_SYSTEMD_UNIT=postfix.service,unit=x\"\n",
            "1:24: monitor_journal_match: needs FIELD=VALUE items separated by commas (e.g. "
            "_SYSTEMD_UNIT=postfix@-.service,SYSLOG_IDENTIFIER=postfix/smtpd), got \"unit=x\""},
           {"monitor_report_s: 0\n",
            "1:19: monitor_report_s: must be between 1 and 3600, got 0"},
           {"monitor_max_sources: 99999999\n",
            "1:22: monitor_max_sources: must be between 10 and 100000, got 99999999"},
           {"mta: [postfix\n", "2:1: invalid YAML: "},
           {"mta: postfix\n---\nmta: exim\n",
            "3:1: agent configuration: expected a single YAML document; found a second one"},
       }) {
    const std::string path = Write("agent.yaml", c.yaml);
    ParsedAgentFlags parsed = Parse({"--config", path, "status"});
    ASSERT_EQ(parsed.exit_code, 2) << c.yaml;
    std::string expected = c.message;
    if (size_t at = expected.find("FILE:"); at != std::string::npos) {
      expected.replace(at, 4, path);
    }
    EXPECT_THAT(err_, HasSubstr("relayguard-agent: invalid configuration: " + path + ":" +
                                expected))
        << c.yaml;
    EXPECT_THAT(err_, HasSubstr("nothing was changed")) << c.yaml;
  }
}

TEST_F(AgentConfigTest, CommandLineWinsOverTheFileWhichWinsOverTheDefaults) {
  const std::string path = Write("agent.yaml",
                                 "# a comment\n"
                                 "mta: postfix\n"
                                 "state_dir: /var/lib/from-file/\n"
                                 "heartbeat_s: 10\n"
                                 "labels:\n"
                                 "  site: file\n"
                                 "  tier: edge\n"
                                 "controller: c.example.org:7443\n"
                                 "host: mx1\n"
                                 "insecure: true\n");
  ParsedAgentFlags p = Parse({"--config", path, "--state-dir", "/var/lib/from-cli", "run",
                              "--label", "site=cli", "--heartbeat-s", "20"});
  ASSERT_FALSE(p.exit_code) << err_;
  const AgentFlags& f = p.flags;
  EXPECT_EQ(f.command, AgentCommand::kRun);
  EXPECT_EQ(f.state_dir, "/var/lib/from-cli");       // command line over file
  EXPECT_EQ(f.mta.mta, "postfix");                   // file over default
  EXPECT_EQ(f.log_level, "warn");                    // default
  EXPECT_EQ(f.run.heartbeat_s, 20);                  // command line over file
  EXPECT_EQ(f.run.controller, "c.example.org:7443");  // file: run needs nothing more
  EXPECT_TRUE(f.run.insecure);
  EXPECT_EQ(f.run.labels,
            (std::map<std::string, std::string>{{"site", "cli"}, {"tier", "edge"}}));
  EXPECT_EQ(p.config_file, path);
  EXPECT_EQ(p.origins.at("mta"), path + ":2:1");
  EXPECT_EQ(p.origins.at("heartbeat_s"), "command line (--heartbeat-s)");
  EXPECT_EQ(p.origins.at("state_dir"), "command line (--state-dir)");
  EXPECT_EQ(p.origins.at("labels.site"), "command line (--label)");
  EXPECT_EQ(p.origins.at("labels.tier"), path + ":7:3");
  EXPECT_EQ(p.origins.count("log_level"), 0u);

  // The same file without the command line's options.
  p = Parse({"--config", path, "run"});
  ASSERT_FALSE(p.exit_code) << err_;
  EXPECT_EQ(p.flags.state_dir, "/var/lib/from-file");  // trailing slash dropped, as on the CLI
  EXPECT_EQ(p.flags.run.heartbeat_s, 10);
}

TEST_F(AgentConfigTest, TheDefaultFileIsReadWhenItExistsAndOptionalWhenItDoesNot) {
  const std::string path = Write("default.yaml", "state_dir: /var/lib/default-file\n");
  ParsedAgentFlags p = Parse({"status"}, path);
  ASSERT_FALSE(p.exit_code) << err_;
  EXPECT_EQ(p.flags.state_dir, "/var/lib/default-file");
  EXPECT_EQ(p.config_file, path);

  p = Parse({"status"}, dir_ + "/no-such.yaml");
  ASSERT_FALSE(p.exit_code) << err_;
  EXPECT_EQ(p.flags.state_dir, "/var/lib/relayguard");
  EXPECT_EQ(p.config_file, "");
  EXPECT_TRUE(p.origins.empty());

  // An empty file, or one of comments only, is the defaults.
  p = Parse({"--config", Write("empty.yaml", "# nothing yet\n"), "status"});
  ASSERT_FALSE(p.exit_code) << err_;
  EXPECT_EQ(p.flags.state_dir, "/var/lib/relayguard");
}

TEST_F(AgentConfigTest, AMissingConfigFileGivenOnTheCommandLineIsAnErrorNamingIt) {
  const std::string path = dir_ + "/missing.yaml";
  ParsedAgentFlags p = Parse({"--config", path, "status"});
  ASSERT_EQ(p.exit_code, 2);
  EXPECT_THAT(err_, HasSubstr("--config: configuration file " + path + " does not exist"));

  p = Parse({"--config", dir_, "status"});
  ASSERT_EQ(p.exit_code, 2);
  EXPECT_THAT(err_, HasSubstr("configuration file " + dir_ + " is a directory"));

  // A broken default file is not skipped either.
  const std::string broken = Write("default.yaml", "mta: qmail\n");
  p = Parse({"status"}, broken);
  ASSERT_EQ(p.exit_code, 2);
  EXPECT_THAT(err_, HasSubstr(broken + ":1:6: mta: expected one of"));
}

TEST_F(AgentConfigTest, RunStillNeedsItsSettingsFromOneOrTheOther) {
  ParsedAgentFlags p = Parse({"--config", Write("a.yaml", "host: mx1\ninsecure: true\n"), "run"});
  ASSERT_EQ(p.exit_code, 1);
  EXPECT_THAT(err_, HasSubstr("needs --controller HOST:PORT (or controller: in the file)"));
  p = Parse({"--config", Write("b.yaml", "host: mx1\ncontroller: c:1\n"), "run"});
  ASSERT_EQ(p.exit_code, 1);
  EXPECT_THAT(err_, HasSubstr("--ca, --cert and --key (mTLS), or --insecure"));
}

TEST_F(AgentConfigTest, HelpNeedsNoFile) {
  ParsedAgentFlags p = Parse({"--help"}, Write("broken.yaml", "mta: [\n"));
  EXPECT_EQ(p.exit_code, 0);
  EXPECT_THAT(out_, HasSubstr("--config"));
  EXPECT_THAT(out_, HasSubstr("config"));
}

int ConfigCheck(const std::vector<std::string>& args, std::string& out, std::string& err) {
  std::ostringstream o, e;
  NoFaultPoints faults;
  const int rc = RunAgentCli(args, o, e, faults);
  out = o.str();
  err = e.str();
  return rc;
}

TEST_F(AgentConfigTest, ConfigCheckPrintsTheEffectiveConfigurationWithOrigins) {
  const std::string path = Write("agent.yaml",
                                 "mta: exim\n"
                                 "controller: \"[::1]:7443\"\n"
                                 "host: mx1\n"
                                 "insecure: true\n"
                                 "labels:\n"
                                 "  site: lab\n");
  std::string out, err;
  ASSERT_EQ(ConfigCheck({"--config", path, "config", "check", "--log-level", "info"}, out, err),
            0)
      << err;
  EXPECT_THAT(out, HasSubstr("mta: exim  # " + path + ":1:1\n"));
  EXPECT_THAT(out, HasSubstr("log_level: info  # command line (--log-level)\n"));
  EXPECT_THAT(out, HasSubstr("state_dir: /var/lib/relayguard  # default\n"));
  EXPECT_THAT(out, HasSubstr("controller: \"[::1]:7443\"  # " + path + ":2:1\n"));
  EXPECT_THAT(out, HasSubstr("labels:\n  site: lab  # " + path + ":6:3\n"));
  EXPECT_THAT(out, HasSubstr("# ca: (not set)  # default\n"));
  EXPECT_EQ(err, "");

  // What it prints is a configuration file that gives the same settings.
  const std::string again = Write("again.yaml", out);
  std::ostringstream o, e;
  ParsedAgentFlags reread = ParseAgentFlags({"--config", again, "run"}, o, e);
  ASSERT_FALSE(reread.exit_code) << e.str();
  EXPECT_EQ(reread.flags.mta.mta, "exim");
  EXPECT_EQ(reread.flags.log_level, "info");
  EXPECT_EQ(reread.flags.run.controller, "[::1]:7443");
  EXPECT_EQ(reread.flags.run.labels.at("site"), "lab");
}

TEST_F(AgentConfigTest, ConfigCheckExitsTwoWithTheError) {
  std::string out, err;
  const std::string path = Write("agent.yaml", "mta: postfix\nheartbeat_s: 99999\n");
  EXPECT_EQ(ConfigCheck({"--config", path, "config", "check"}, out, err), 2);
  EXPECT_THAT(err, HasSubstr(path + ":2:14: heartbeat_s: must be between 1 and 3600, got 99999"));

  // Valid, but run could not start: no controller.
  const std::string incomplete = Write("incomplete.yaml", "host: mx1\n");
  EXPECT_EQ(ConfigCheck({"--config", incomplete, "config", "check"}, out, err), 2);
  EXPECT_THAT(err, HasSubstr("run needs --controller"));
  EXPECT_THAT(out, HasSubstr("host: mx1  # " + incomplete + ":1:1"));

  // mTLS files that cannot be read.
  const std::string tls = Write("tls.yaml", "host: mx1\ncontroller: c:1\nca: " + dir_ +
                                                "/ca.crt\ncert: /nonexistent/c.crt\nkey: /k\n");
  EXPECT_EQ(ConfigCheck({"--config", tls, "config", "check"}, out, err), 2);
  EXPECT_THAT(err, HasSubstr(dir_ + "/ca.crt"));
}

std::string ReadSource(const std::string& relative) {
  std::ifstream in(std::string(RG_SOURCE_DIR) + "/" + relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(AgentConfigTest, TheShippedFileHoldsTheBuiltInDefaults) {
  const std::string shipped = std::string(RG_SOURCE_DIR) + "/deploy/etc/agent.yaml";
  ParsedAgentFlags p = Parse({"--config", shipped, "status"});
  ASSERT_FALSE(p.exit_code) << err_;
  AgentFlags loaded = p.flags, defaults;
  EXPECT_EQ(AgentConfigSchema(loaded).Print({}), AgentConfigSchema(defaults).Print({}));

  // Every key is there, set to its default or commented out with an example; the examples
  // are valid values.
  const std::string text = ReadSource("deploy/etc/agent.yaml");
  std::string examples;
  const ConfigSchema schema = AgentConfigSchema(defaults);
  for (const ConfigSchema::Setting& s : schema.settings()) {
    const std::regex set("(^|\n)" + s.key + ":");
    const std::regex commented("\n# " + s.key + ": ([^\n]+)");
    std::smatch example;
    const bool is_set = std::regex_search(text, set);
    const bool has_example = std::regex_search(text, example, commented);
    EXPECT_TRUE(is_set || has_example) << s.key;
    if (!is_set && has_example) examples += s.key + ": " + example[1].str() + "\n";
  }
  p = Parse({"--config", Write("examples.yaml", examples), "status"});
  EXPECT_FALSE(p.exit_code) << err_ << examples;
}

}  // namespace
}  // namespace relayguard::agent
