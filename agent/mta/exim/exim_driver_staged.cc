// EximDriver::ValidateStaged: Exim's own checks of a staged configuration, before activation.
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "agent/mta/exim/exim_driver.h"
#include "common/status_macros.h"

namespace relayguard::agent::exim {
std::string Interface(const Listener& l) {
  return absl::StrCat(l.endpoint.host.ToString(), ".", l.endpoint.port);
}

absl::StatusOr<int> EximDriver::FakeSession(const std::string& config, const IpAddress& client,
                                            const ProbeSettings& probe, const Listener& listener) {
  const std::string session =
      absl::StrCat("EHLO ", probe.helo_name, "\r\nMAIL FROM:<", probe.sender, ">\r\nRCPT TO:<",
                   probe.foreign_recipient, ">\r\nQUIT\r\n");
  ASSIGN_OR_RETURN(ProcessResult r,
                   Exim(config, {"-oMi", Interface(listener), "-bh", client.ToString()}, session));
  std::optional<int> code = RcptReplyCode(r.stdout_text);
  if (!code) {
    return absl::FailedPreconditionError(absl::StrCat("exim -oMi ", Interface(listener), " -bh ",
                                                      client.ToString(), " gave no reply to RCPT (",
                                                      ExitText(r), "): ", Diagnostics(r)));
  }
  return *code;
}

absl::StatusOr<std::string> EximDriver::StageConfig(const FileContents& contents,
                                                    const std::string& stage_dir) {
  auto it = contents.find(ManagedFile());
  if (it == contents.end()) {
    return absl::InvalidArgumentError(absl::StrCat("no staged contents for ", ManagedFile()));
  }
  RETURN_IF_ERROR(fs_.MakeDirs(stage_dir));
  const std::string staged = stage_dir + "/exim4.conf";
  if (options_.debian) {
    ASSIGN_OR_RETURN(std::string dir, StageDebianDir(stage_dir, contents));
    if (absl::Status s = Generate(dir, staged); !s.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "update-exim4.conf could not generate a configuration from the staged ", ManagedFile(),
          ": ", absl::StrReplaceAll(s.message(), {{dir, options_.debian_dir}})));
    }
  } else {
    RETURN_IF_ERROR(fs_.WriteScratchFile(staged, it->second));
  }
  return staged;
}

absl::Status EximDriver::ValidateStaged(const FileContents& contents,
                                        const std::string& stage_dir) {
  // A light Exim's -bV would only say "cannot find authenticator driver"; say what to do.
  if (rendered_for_ && rendered_for_->auth) RETURN_IF_ERROR(CheckAuthDriver(*rendered_for_->auth));
  ASSIGN_OR_RETURN(const std::string staged, StageConfig(contents, stage_dir));
  auto live_names = [&](absl::string_view text) {
    return absl::StrReplaceAll(text, {{staged, DaemonConfig()}});
  };
  RETURN_IF_ERROR(RunChecked(
                      runner_, EximCommand(staged, {"-bV"}),
                      [&](const ProcessResult& r) { return live_names(Diagnostics(r)); },
                      absl::StrCat("exim config check failed for ", DaemonConfig()))
                      .status());
  // Exim's own verdict on the staged rules, on every listener, before any live file changes.
  ASSIGN_OR_RETURN(std::string staged_text, fs_.ReadFile(staged));
  absl::StatusOr<std::vector<Listener>> listeners = ListenersOf(staged_text, staged, false);
  if (!listeners.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot tell where the staged configuration listens: ",
                     live_names(listeners.status().message())));
  }
  const ProbeSettings probe = rendered_for_ ? rendered_for_->probe : DefaultProbeSettings();
  MarkInternalListeners(probe, *listeners);
  const bool trusted_relay = !rendered_for_ || !rendered_for_->require_auth;
  for (const Listener& l : *listeners) {
    if (l.internal) continue;
    ASSIGN_OR_RETURN(int untrusted, FakeSession(staged, probe.untrusted_source, probe, l));
    if (untrusted < 500) {
      return absl::FailedPreconditionError(absl::StrCat(
          "exim -oMi ", Interface(l), " -bh ", probe.untrusted_source.ToString(),
          " against the staged ", ManagedFile(), ": RCPT TO:<", probe.foreign_recipient, "> got ",
          untrusted, ", not a refusal (5xx): listener ", live_names(l.Name()),
          " would still relay"));
    }
    if (!trusted_relay || l.role != ListenerRole::kRelay) continue;
    ASSIGN_OR_RETURN(int trusted, FakeSession(staged, probe.trusted_source, probe, l));
    if (trusted != 250) {
      return absl::FailedPreconditionError(
          absl::StrCat("exim -oMi ", Interface(l), " -bh ", probe.trusted_source.ToString(),
                       " against the staged ", ManagedFile(), ": RCPT TO:<",
                       probe.foreign_recipient, "> got ", trusted,
                       ", not 250: the trusted network could no longer relay through "
                       "listener ",
                       live_names(l.Name())));
    }
  }
  return absl::OkStatus();
}

}  // namespace relayguard::agent::exim
