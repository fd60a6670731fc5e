#include "agent/apply/auth_proof.h"

#include <sys/stat.h>

#include <future>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace relayguard::agent {
namespace {

constexpr std::chrono::milliseconds kAuthPollInterval{200};

// A smoke AUTH that was tried and got an answer other than 235: the backend (or the MTA's link
// to it) refuses the credential. Retrying would only add Dovecot's failure penalty.
bool SmokeRefused(const AuthProbeReport& report) {
  return report.smoke && !report.smoke->authenticated && !report.smoke->exchanges.empty() &&
         !report.inconclusive &&
         (!report.mechanisms_plain.empty() || !report.mechanisms_tls.empty());
}

AuthProbeRequest RequestFor(const Policy& policy, const SmokeCredential& credential) {
  AuthProbeRequest request;
  request.sender = policy.probe.sender;
  request.foreign_recipient = policy.probe.foreign_recipient;
  request.credential = credential;
  request.smoke_mechanism = policy.auth->mechanisms.front();
  request.prefer_tls = true;
  return request;
}

}  // namespace

absl::StatusOr<SmokeCredential> ReadAuthCredential(const AuthSettings& auth) {
  absl::StatusOr<SmokeCredential> credential = ReadSmokeCredential(auth.smoke_credential);
  if (!credential.ok() && !auth.smoke_credential_at.empty()) {
    return absl::Status(credential.status().code(),
                        absl::StrCat(credential.status().message(), " (named at ",
                                     auth.smoke_credential_at, ")"));
  }
  return credential;
}

absl::StatusOr<SmokeCredential> PreflightAuthBackend(MtaDriver& driver, const Policy& policy,
                                                     const FileContents& staged,
                                                     const std::string& stage_dir,
                                                     BackendAnswer* answer) {
  absl::StatusOr<SmokeCredential> read = ReadAuthCredential(*policy.auth);
  if (!read.ok()) {
    // Say at once when the backend is missing too: the credential is only the first problem.
    struct stat st {};
    if (stat(policy.auth->path.c_str(), &st) != 0) {
      return absl::Status(read.status().code(),
                          absl::StrCat(read.status().message(), "; and the SMTP AUTH backend ",
                                       SaslBackendName(policy.auth->backend), " auth.path ",
                                       policy.auth->path, " does not exist"));
    }
    return read.status();
  }
  SmokeCredential credential = *std::move(read);
  absl::StatusOr<BackendAnswer> got = driver.PreflightAuth(policy, credential, staged, stage_dir);
  if (!got.ok()) {
    std::string where = policy.auth->path_at.empty()
                            ? ""
                            : absl::StrCat(" (auth.path at ", policy.auth->path_at, ")");
    return absl::FailedPreconditionError(absl::StrCat("SMTP AUTH backend ",
                                                      SaslBackendName(policy.auth->backend), " ",
                                                      policy.auth->path, where, ": ",
                                                      got.status().message()));
  }
  if (answer != nullptr) *answer = *got;
  return credential;
}

std::vector<BogusAuth> VerificationBogusAuth() {
  return {BogusAuth::kWrongPassword, BogusAuth::kRandomPlainBlob};
}

AuthFinding ProveAuth(RelayChecker& checker, Clock& clock, const Policy& policy,
                      const SmokeCredential& credential,
                      std::chrono::steady_clock::time_point deadline,
                      std::vector<ListenerResult>& listeners) {
  const AuthSettings& auth = *policy.auth;
  AuthFinding finding;
  std::vector<ListenerResult*> selected;
  for (ListenerResult& r : listeners) {
    if (r.listener.internal || !OffersAuth(auth, r.listener)) continue;
    if (std::string missing = MissingProbeSource(policy.probe, ProbeSource::kUntrusted, r.listener);
        !missing.empty()) {
      finding.inconclusive = true;
      finding.problems.push_back(absl::StrCat("listener ", r.listener.Name(), ": ", missing));
      continue;
    }
    selected.push_back(&r);
  }
  if (selected.empty() && finding.problems.empty()) {
    finding.problems.push_back(
        "no listener offers SMTP AUTH: auth.listeners selects none of the MTA's listeners, so "
        "no client could authenticate");
    return finding;
  }
  // Pass 1: the smoke AUTH everywhere, before any failure from this source.
  AuthProbeRequest smoke = RequestFor(policy, credential);
  for (ListenerResult* r : selected) {
    const ProbeOptions options = ListenerProbeOptions(policy.probe, ProbeSource::kUntrusted,
                                                      r->listener);
    for (;;) {
      r->auth = checker.ProbeAuth(r->listener.endpoint, smoke, options);
      if (AuthProblems(auth, *r->auth).empty() || SmokeRefused(*r->auth) ||
          clock.Now() >= deadline) {
        break;
      }
      clock.SleepFor(kAuthPollInterval);  // a reload may still be settling
    }
  }
  // Pass 2: every bogus attempt on every listener at once: the backend's failure delay and
  // per-IP penalty are paid once, not per attempt.
  AuthProbeRequest bogus = RequestFor(policy, credential);
  bogus.run_smoke = false;
  bogus.bogus = VerificationBogusAuth();
  std::vector<std::future<AuthProbeReport>> pending;
  for (ListenerResult* r : selected) {
    const ProbeOptions options = ListenerProbeOptions(policy.probe, ProbeSource::kUntrusted,
                                                      r->listener);
    pending.push_back(std::async(std::launch::async, [&checker, &bogus, r, options] {
      return checker.ProbeAuth(r->listener.endpoint, bogus, options);
    }));
  }
  for (size_t i = 0; i < selected.size(); ++i) {
    AuthProbeReport got = pending[i].get();
    AuthProbeReport& merged = *selected[i]->auth;
    for (AuthAttempt& a : got.bogus) merged.bogus.push_back(std::move(a));
    if (got.inconclusive && !merged.inconclusive) {
      merged.inconclusive = true;
      merged.error = got.error;
    }
    const std::string name = selected[i]->listener.Name();
    for (const std::string& p : AuthProblems(auth, merged)) {
      finding.problems.push_back(absl::StrCat("listener ", name, ": ", p));
    }
    finding.accepts_bogus = finding.accepts_bogus || AcceptsBogusAuth(merged);
    finding.smoke_refused = finding.smoke_refused || SmokeRefused(merged);
    finding.inconclusive = finding.inconclusive || merged.inconclusive;
  }
  return finding;
}

}  // namespace relayguard::agent
