#include "agent/mta/mta_driver.h"

#include "absl/strings/str_cat.h"

namespace relayguard::agent {

std::string DriftText(const SettingDrift& d) {
  std::string out;
  if (!d.listener.empty()) absl::StrAppend(&out, "listener ", d.listener, ": ");
  if (d.unproven) {
    absl::StrAppend(&out, d.setting, " cannot be checked: ", d.effective);
  } else {
    absl::StrAppend(&out, d.setting, " is \"", d.effective, "\", want \"", d.desired, "\"");
  }
  if (!d.where.empty()) absl::StrAppend(&out, " (", d.where, ")");
  return out;
}

absl::StatusOr<BackendAnswer> MtaDriver::PreflightAuth(const Policy& /*policy*/,
                                                     const SmokeCredential& /*credential*/,
                                                     const FileContents& /*staged*/,
                                                     const std::string& /*stage_dir*/) {
  return absl::UnimplementedError(
      absl::StrCat("SMTP AUTH (the policy's auth section) is not supported for ", Kind()));
}

}  // namespace relayguard::agent
