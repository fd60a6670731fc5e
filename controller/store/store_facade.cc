#include "controller/store/store_facade.h"

#include "common/logging.h"

namespace relayguard::controller {

absl::Status StoreFacade::RecordHost(const HostRecord& host) {
  absl::Status s = WithStore([&](Store& st) { return st.UpsertHost(host); });
  Changed(ChangeTopic::kHosts);
  return s;
}

absl::StatusOr<std::vector<HostRecord>> StoreFacade::Hosts() {
  return WithStore([](Store& s) { return s.Hosts(); });
}

absl::StatusOr<std::vector<RolloutRecord>> StoreFacade::Rollouts() {
  return WithStore([](Store& s) { return s.Rollouts(); });
}

absl::StatusOr<std::vector<HostResult>> StoreFacade::HostHistory(const std::string& host,
                                                                 size_t limit) {
  return WithStore([&](Store& s) { return s.ResultsForHost(host, limit); });
}

absl::StatusOr<std::vector<AuditEntry>> StoreFacade::AuditLog(size_t limit) {
  return WithStore([&](Store& s) { return s.AuditLog(limit); });
}

absl::Status StoreFacade::AddPolicy(const PolicyVersionRecord& policy) {
  return WithStore([&](Store& s) { return s.PutPolicyVersion(policy); });
}

void StoreFacade::RecordAudit(const std::string& who, const std::string& action,
                              const std::string& target, const absl::Status& result,
                              const std::string& reason) {
  AuditEntry entry{0,      clock_.WallSeconds(),
                   who,    action,
                   target, result.ok() ? "ok" : std::string(result.message()),
                   reason};
  WithStore([&](Store& s) { RecordAudit(s, entry); });
  Changed(ChangeTopic::kAudit);
}

void StoreFacade::RecordAudit(Store& store, const AuditEntry& entry) {
  if (absl::StatusOr<int64_t> id = store.Audit(entry); !id.ok()) {
    Logger("controller.store")->error("cannot record audit entry: {}", id.status().message());
  }
}

}  // namespace relayguard::controller
