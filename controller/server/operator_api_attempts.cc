// OperatorApi::ListAttempts: what the hosts' log monitors counted (controller/monitor).
#include "absl/strings/str_cat.h"
#include "controller/monitor/attempt_report_proto.h"
#include "controller/server/operator_api.h"

namespace relayguard::controller {

namespace pb = ::relayguard::v1;

grpc::Status OperatorApi::ListAttempts(const std::string& /*who*/,
                                       const pb::ListAttemptsRequest* request,
                                       pb::ListAttemptsResponse* response) {
  constexpr int kMaxRows = 10000;
  if (request->limit() < 0 || request->limit() > kMaxRows) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("limit ", request->limit(), " is outside 0..", kMaxRows));
  }
  if (request->since() < 0) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("since ", request->since(), " is before the epoch (0: the last 24 hours)"));
  }
  AttemptQuery query;
  query.host = request->host();
  query.since = request->since();
  query.limit = request->limit() > 0 ? static_cast<size_t>(request->limit()) : 100;
  absl::StatusOr<AttemptView> view = attempts_.View(query);
  if (!view.ok()) return ToGrpc(view.status());
  AttemptViewToProto(*view, response);
  return grpc::Status::OK;
}

}  // namespace relayguard::controller
