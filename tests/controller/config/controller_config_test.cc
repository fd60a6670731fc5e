// relayguard-controller's configuration file (controller/config/controller_config.cc): the
// strict rules with FILE:LINE:COL, default < file < command line, --config, the key file that
// group or others can read, `config check`, and the shipped deploy/etc/controller.yaml.
#include "controller/config/controller_config.h"
#include "common/command_line.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace relayguard::controller {
namespace {

using ::testing::HasSubstr;

class ControllerConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-controller-config-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text, mode_t mode = 0644) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    chmod(path.c_str(), mode);
    return path;
  }
  ParsedControllerFlags Parse(const std::vector<std::string>& args,
                              const std::string& default_config = "") {
    std::ostringstream out, err;
    ParsedControllerFlags parsed = ParseControllerFlags(
        args, out, err, default_config.empty() ? dir_ + "/absent.yaml" : default_config);
    out_ = out.str();
    err_ = err.str();
    return parsed;
  }
  int ConfigCheck(const std::vector<std::string>& args) {
    ParsedControllerFlags parsed = Parse(args);
    if (parsed.exit_code) return *parsed.exit_code;
    EXPECT_TRUE(parsed.config_check);
    std::ostringstream out, err;
    const int rc = RunControllerConfigCheck(parsed, out, err);
    out_ = out.str();
    err_ = err.str();
    return rc;
  }

  std::string dir_, out_, err_;
};

TEST_F(ControllerConfigTest, EachRuleIsRefusedWithFileLineAndColumn) {
  struct Case {
    std::string yaml, message;
  };
  for (const Case& c : std::vector<Case>{
           {"listen: 127.0.0.1:7443\nlisten_on: x\n",
            "2:1: listen_on: unknown field; expected one of: listen, playbooks, state_dir, ca, "
            "cert, key, insecure, agent_timeout_s, log_level, metrics_listen"},
           {"agent_timeout_s: ninety\n",
            "1:18: agent_timeout_s: expected a decimal integer without sign or leading zeros, "
            "got \"ninety\""},
           {"insecure: 1\n",
            "1:11: insecure: expected true or false (unquoted), got the single value \"1\""},
           {"listen: {host: x}\n", "1:9: listen: expected a single value, got a mapping"},
           {"listen: 127.0.0.256:7443\n",
            "1:9: listen: \"127.0.0.256:7443\": the host is not an IP address: "},
           {"listen: \"[10.0.0.1]:7443\"\n",
            "1:9: listen: \"[10.0.0.1]:7443\": \"10.0.0.1\" in brackets is not an IPv6 address"},
           {"listen: 127.0.0.1:65536\n",
            "1:9: listen: \"127.0.0.1:65536\": the port must be a number 0..65535, got \"65536\""},
           {"listen: localhost\n",
            "1:9: listen: \"localhost\": is not HOST:PORT (IPv6 needs brackets: [::1]:7443)"},
           {"playbooks: |\n  /etc/relayguard\n  /tmp\n",
            "1:12: playbooks: contains a line break or control character: "
            "\"/etc/relayguard\\n/tmp\\n\""},
           {"log_level: verbose\n",
            "1:12: log_level: expected one of debug, info, warn, error, off (unquoted), got "
            "\"verbose\""},
           {"key: controller.key\n",
            "1:6: key: needs an absolute path (starting with '/'), got \"controller.key\""},
           {"agent_timeout_s: 0\n", "1:18: agent_timeout_s: must be between 1 and 86400, got 0"},
           {"metrics_listen: 9465\n",
            "1:17: metrics_listen: \"9465\": is not HOST:PORT (IPv6 needs brackets: [::1]:7443)"},
       }) {
    const std::string path = Write("controller.yaml", c.yaml);
    ParsedControllerFlags parsed = Parse({"--config", path});
    ASSERT_EQ(parsed.exit_code, kControllerExitFailed) << c.yaml;
    EXPECT_THAT(err_, HasSubstr("relayguard-controller: invalid configuration: " + path + ":" +
                                c.message))
        << c.yaml;
  }
}

TEST_F(ControllerConfigTest, CommandLineWinsOverTheFileWhichWinsOverTheDefaults) {
  const std::string path = Write("controller.yaml",
                                 "listen: \"[::1]:0\"\n"
                                 "playbooks: /srv/playbooks\n"
                                 "agent_timeout_s: 30\n");
  ParsedControllerFlags p = Parse({"--config", path, "--agent-timeout-s", "45", "--insecure"});
  ASSERT_FALSE(p.exit_code) << err_;
  EXPECT_FALSE(p.config_check);
  EXPECT_EQ(p.config.listen, "[::1]:0");                                 // file
  EXPECT_EQ(p.config.playbooks, "/srv/playbooks");                       // file
  EXPECT_EQ(p.config.agent_timeout_s, 45);                               // command line
  EXPECT_TRUE(p.config.insecure);                                        // command line
  EXPECT_EQ(p.config.state_dir, "/var/lib/relayguard-controller");       // default
  EXPECT_EQ(p.origins.at("listen"), path + ":1:1");
  EXPECT_EQ(p.origins.at("agent_timeout_s"), "command line (--agent-timeout-s)");
  EXPECT_EQ(p.origins.count("state_dir"), 0u);
  EXPECT_EQ(p.config.metrics_listen, "");  // default: no metrics endpoint
}

TEST_F(ControllerConfigTest, MetricsListenFromTheFileOrTheCommandLine) {
  const std::string path = Write("controller.yaml", "metrics_listen: 127.0.0.1:9465\n");
  ParsedControllerFlags p = Parse({"--config", path});
  ASSERT_FALSE(p.exit_code) << err_;
  EXPECT_EQ(p.config.metrics_listen, "127.0.0.1:9465");
  p = Parse({"--config", path, "--metrics-listen", "[::1]:0"});
  ASSERT_FALSE(p.exit_code) << err_;
  EXPECT_EQ(p.config.metrics_listen, "[::1]:0");
  p = Parse({"--config", path, "--metrics-listen", "nowhere"});
  EXPECT_EQ(p.exit_code, relayguard::kExitUsageError);
  EXPECT_THAT(err_, HasSubstr("--metrics-listen \"nowhere\": is not HOST:PORT")) << err_;
}

TEST_F(ControllerConfigTest, MissingFiles) {
  ParsedControllerFlags p = Parse({"--insecure"});  // the default file is absent: defaults
  ASSERT_FALSE(p.exit_code) << err_;
  EXPECT_EQ(p.config.listen, "127.0.0.1:7443");
  EXPECT_EQ(p.config_file, "");

  const std::string missing = dir_ + "/nope.yaml";
  p = Parse({"--config", missing});
  ASSERT_EQ(p.exit_code, kControllerExitFailed);
  EXPECT_THAT(err_, HasSubstr("--config: configuration file " + missing + " does not exist"));

  const std::string present = Write("default.yaml", "log_level: debug\n");
  p = Parse({"--insecure"}, present);
  ASSERT_FALSE(p.exit_code) << err_;
  EXPECT_EQ(p.config.log_level, "debug");
  EXPECT_EQ(p.config_file, present);
}

TEST_F(ControllerConfigTest, AKeyFileThatGroupOrOthersCanReadIsRefused) {
  const std::string pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  const std::string key = Write("controller.key", pem, 0644);
  ControllerConfig c;
  c.ca = Write("ca.crt", pem);
  c.cert = Write("controller.crt", pem);
  c.key = key;
  absl::Status s = CheckControllerTls(c);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "key " + key + " has mode 0644: group or others can access it; a "
                         "private key must be private (chmod 600 " + key + ")");
  chmod(key.c_str(), 0640);
  EXPECT_THAT(CheckControllerTls(c).message(), HasSubstr("has mode 0640"));
  chmod(key.c_str(), 0600);
  EXPECT_TRUE(CheckControllerTls(c).ok());
  chmod(key.c_str(), 0400);
  EXPECT_TRUE(CheckControllerTls(c).ok());

  c.key.clear();
  EXPECT_THAT(CheckControllerTls(c).message(), HasSubstr("give --ca, --cert and --key"));
  c.insecure = true;
  EXPECT_TRUE(CheckControllerTls(c).ok());

  // config check names it too, and exits 2.
  chmod(key.c_str(), 0604);
  const std::string path = Write("controller.yaml", "ca: " + dir_ + "/ca.crt\ncert: " + dir_ +
                                                        "/controller.crt\nkey: " + key + "\n");
  EXPECT_EQ(ConfigCheck({"--config", path, "config", "check"}), kControllerExitFailed);
  EXPECT_THAT(err_, HasSubstr("key " + key + " has mode 0604"));
  EXPECT_THAT(out_, HasSubstr("key: " + key + "  # " + path + ":3:1\n"));
}

TEST_F(ControllerConfigTest, ConfigCheckPrintsTheEffectiveConfiguration) {
  const std::string path = Write("controller.yaml", "insecure: true\nlog_level: warn\n");
  EXPECT_EQ(ConfigCheck({"--config", path, "config", "check", "--listen", "127.0.0.1:0"}), 0)
      << err_;
  EXPECT_THAT(out_, HasSubstr("listen: 127.0.0.1:0  # command line (--listen)\n"));
  EXPECT_THAT(out_, HasSubstr("insecure: true  # " + path + ":1:1\n"));
  EXPECT_THAT(out_, HasSubstr("log_level: warn  # " + path + ":2:1\n"));
  EXPECT_THAT(out_, HasSubstr("agent_timeout_s: 90  # default\n"));
  EXPECT_THAT(out_, HasSubstr("# cert: (not set)  # default\n"));
  EXPECT_EQ(err_, "");

  // Neither mTLS nor insecure: config check says what is missing.
  EXPECT_EQ(ConfigCheck({"--config", Write("empty.yaml", ""), "config", "check"}),
            kControllerExitFailed);
  EXPECT_THAT(err_, HasSubstr("give --ca, --cert and --key (mTLS), or --insecure"));
}

TEST_F(ControllerConfigTest, TheShippedFileHoldsTheBuiltInDefaults) {
  const std::string shipped = std::string(RG_SOURCE_DIR) + "/deploy/etc/controller.yaml";
  ParsedControllerFlags p = Parse({"--config", shipped});
  ASSERT_FALSE(p.exit_code) << err_;
  ControllerConfig loaded = p.config, defaults;
  EXPECT_EQ(ControllerConfigSchema(loaded).Print({}), ControllerConfigSchema(defaults).Print({}));
  std::ifstream in(shipped);
  std::stringstream text;
  text << in.rdbuf();
  const ConfigSchema schema = ControllerConfigSchema(defaults);
  for (const ConfigSchema::Setting& s : schema.settings()) {
    const bool present = text.str().find("\n" + s.key + ": ") != std::string::npos ||
                         text.str().find("\n# " + s.key + ": ") != std::string::npos;
    EXPECT_TRUE(present) << s.key << " is not documented in deploy/etc/controller.yaml";
  }
}

}  // namespace
}  // namespace relayguard::controller
