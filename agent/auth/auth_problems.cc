// AuthProblems and AcceptsBogusAuth (declared in smtp_auth_probe.h): the judgement of a probe
// report against the policy's auth part. Pure.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/auth/smtp_auth_probe.h"

namespace relayguard::agent {
namespace {

std::string Listed(const std::vector<std::string>& mechanisms) {
  return mechanisms.empty() ? "nothing" : absl::StrJoin(mechanisms, " ");
}

// Where AUTH must be offered and what it offers there, with a problem when it is not.
std::vector<std::string> AdvertisingProblems(const AuthSettings& auth,
                                             const AuthProbeReport& report,
                                             std::vector<std::string>& usable) {
  std::vector<std::string> problems;
  const std::string at = report.endpoint.ToString();
  if (report.tls_on_connect) {
    usable = report.mechanisms_tls;
    if (usable.empty()) problems.push_back(absl::StrCat(at, ": AUTH is not advertised"));
    return problems;
  }
  if (auth.tls_only) {
    if (!report.mechanisms_plain.empty()) {
      problems.push_back(absl::StrCat(
          at, ": AUTH (", Listed(report.mechanisms_plain),
          ") is advertised before STARTTLS although auth.tls_only is set: passwords may cross "
          "the network in clear"));
    }
    usable = report.mechanisms_tls;
    if (!report.starttls_offered) {
      problems.push_back(absl::StrCat(
          at, ": STARTTLS is not offered, so no client can AUTH (auth.tls_only)"));
    } else if (!report.tls_failure.empty()) {
      problems.push_back(absl::StrCat(at, ": STARTTLS failed (", report.tls_failure,
                                      "), so no client can AUTH (auth.tls_only)"));
    } else if (usable.empty()) {
      problems.push_back(absl::StrCat(at, ": AUTH is not advertised after STARTTLS"));
    }
    return problems;
  }
  usable = report.mechanisms_plain;
  for (const std::string& m : report.mechanisms_tls) {
    if (std::find(usable.begin(), usable.end(), m) == usable.end()) usable.push_back(m);
  }
  if (usable.empty()) problems.push_back(absl::StrCat(at, ": AUTH is not advertised"));
  return problems;
}

}  // namespace

std::vector<std::string> AuthProblems(const AuthSettings& auth, const AuthProbeReport& report) {
  if (report.inconclusive) return {report.error.empty() ? "the AUTH probe failed" : report.error};
  const std::string at = report.endpoint.ToString();
  std::vector<std::string> usable;
  std::vector<std::string> problems = AdvertisingProblems(auth, report, usable);
  if (!usable.empty()) {
    for (AuthMechanism m : auth.mechanisms) {
      if (std::find(usable.begin(), usable.end(), AuthMechanismName(m)) == usable.end()) {
        problems.push_back(absl::StrCat(at, ": AUTH offers ", Listed(usable), ", not ",
                                        AuthMechanismName(m), " as auth.mechanisms asks"));
      }
    }
  }
  if (report.smoke.has_value()) {
    const AuthAttempt& smoke = *report.smoke;
    if (smoke.inconclusive || !smoke.authenticated) {
      problems.push_back(absl::StrCat(at, ": the smoke credential did not authenticate (",
                                      smoke.name, "): ", smoke.detail));
    } else if (!smoke.relayed) {
      problems.push_back(absl::StrCat(at, ": after the smoke AUTH the foreign recipient was not "
                                      "accepted: ", smoke.detail));
    }
  }
  for (const AuthAttempt& bogus : report.bogus) {
    if (bogus.authenticated) {
      problems.push_back(absl::StrCat(at, ": accepts bogus AUTH (", bogus.name,
                                      "): strangers can relay: ", bogus.detail));
    } else if (bogus.relayed) {
      problems.push_back(absl::StrCat(at, ": relays after a refused bogus AUTH (", bogus.name,
                                      "): ", bogus.detail));
    } else if (bogus.inconclusive) {
      problems.push_back(absl::StrCat(at, ": bogus AUTH (", bogus.name,
                                      ") could not be tested: ", bogus.detail));
    }
  }
  return problems;
}

bool AcceptsBogusAuth(const AuthProbeReport& report) {
  return std::any_of(report.bogus.begin(), report.bogus.end(),
                     [](const AuthAttempt& a) { return a.authenticated || a.relayed; });
}

}  // namespace relayguard::agent
