// Test support for SMTP AUTH (policy.auth). For the logic tests: scripted AUTH answers
// (ScriptedAttempt, HealthyAuth) for ScriptedChecker::auth_fn. For the real ones: the check that
// a secret never shows (ExpectNoSecret), the AUTH probe from the untrusted source
// (AuthFromUntrusted), and an agent run that pauses after activation so a test can break the
// backend before the reload (RunPausedAfterActivation). Header-only.
#ifndef RELAYGUARD_TESTS_SUPPORT_AUTH_CHECKS_H_
#define RELAYGUARD_TESTS_SUPPORT_AUTH_CHECKS_H_

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "agent/auth/smtp_auth_probe.h"
#include "tests/support/postfix_lab.h"

namespace relayguard::testing {

// One AUTH attempt as a scripted server would answer it.
inline agent::AuthAttempt ScriptedAttempt(const std::string& name, bool authenticated,
                                          bool relayed) {
  agent::AuthAttempt a;
  a.name = name;
  a.authenticated = authenticated;
  a.relayed = relayed;
  a.exchanges.push_back({"AUTH PLAIN <secret>", authenticated ? "235 ok" : "535 no",
                         authenticated ? 235 : 535});
  return a;
}

// A server whose AUTH works as it should: offered after STARTTLS only, the smoke credential
// relays, every bogus attempt is refused.
inline agent::AuthProbeReport HealthyAuth(const SmtpEndpoint& endpoint,
                                          const agent::AuthProbeRequest& request) {
  agent::AuthProbeReport r;
  r.endpoint = endpoint;
  r.starttls_offered = true;
  r.mechanisms_tls = {"PLAIN", "LOGIN"};
  if (request.credential && request.run_smoke) {
    r.smoke = ScriptedAttempt("smoke-PLAIN", true, true);
  }
  for (agent::BogusAuth b : request.bogus) {
    r.bogus.push_back(ScriptedAttempt(agent::BogusAuthName(b), false, false));
  }
  return r;
}

// Neither the password nor the forms it takes in AUTH (the PLAIN blob, the LOGIN answer) is in
// `text`. EXPECT_TRUE, not EXPECT_THAT: a failure must not print the secret either.
inline void ExpectNoSecret(const std::string& text, const std::string& user,
                           const std::string& password) {
  EXPECT_TRUE(text.find(password) == std::string::npos) << "the password leaked";
  const std::string plain =
      absl::StrCat(std::string(1, '\0'), user, std::string(1, '\0'), password);
  EXPECT_TRUE(text.find(absl::Base64Escape(plain)) == std::string::npos)
      << "the AUTH PLAIN blob leaked";
  EXPECT_TRUE(text.find(absl::Base64Escape(password)) == std::string::npos)
      << "the AUTH LOGIN password leaked";
}

// The smoke credential, a wrong password and a random PLAIN blob from 127.0.0.9 against
// 127.0.0.1:PORT, as a client sees them.
inline agent::AuthProbeReport AuthFromUntrusted(int port, const std::string& user,
                                                const std::string& password) {
  agent::AuthProbeRequest request;
  request.sender = "relayguard-probe@example.org";
  request.foreign_recipient = "relay-test@example.net";
  agent::SmokeCredential credential;
  credential.username = user;
  credential.password = agent::Secret(password);
  request.credential = credential;
  request.bogus = {agent::BogusAuth::kWrongPassword, agent::BogusAuth::kRandomPlainBlob};
  agent::ProbeOptions options;
  options.source = *ParseIpAddress("127.0.0.9");
  return agent::RunAuthProbe(
      SmtpEndpoint{*ParseIpAddress("127.0.0.1"), static_cast<uint16_t>(port)}, request, options);
}

// Runs `agent_argv` (an AgentArgv) as relayguard-agent-pausing, paused after activation (the new
// files written, not yet reloaded); calls `between`, resumes it (SIGUSR1) and waits. Returns its
// exit code (-1 when it did not exit normally); its output (stdout and stderr) in *log.
inline int RunPausedAfterActivation(const std::vector<std::string>& agent_argv,
                                    const std::string& log_path,
                                    const std::function<void()>& between, std::string* log) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<std::string> argv = PausingAgentArgv(agent_argv, "after-activate");
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  std::string text;
  for (int i = 0; i < 600 && text.find("paused at after-activate") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    text = ReadFileOrDie(log_path);
  }
  const bool paused = text.find("paused at after-activate") != std::string::npos;
  if (paused) between();
  kill(pid, paused ? SIGUSR1 : SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  *log = ReadFileOrDie(log_path);
  EXPECT_TRUE(paused) << "the agent never paused after activation:\n" << *log;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_AUTH_CHECKS_H_
