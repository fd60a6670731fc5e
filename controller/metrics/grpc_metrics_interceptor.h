// Counts every RPC the controller finishes, by method and status code, into ControllerMetrics
// (relayguard_grpc_server_handled_total): a gRPC server interceptor, so that no handler has to
// remember to count.
#ifndef RELAYGUARD_CONTROLLER_METRICS_GRPC_METRICS_INTERCEPTOR_H_
#define RELAYGUARD_CONTROLLER_METRICS_GRPC_METRICS_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <vector>

#include "controller/metrics/controller_metrics.h"

namespace relayguard::controller {

// The interceptor factories for grpc::ServerBuilder::experimental().SetInterceptorCreators;
// `metrics` must outlive the server.
std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
MetricsInterceptors(ControllerMetrics& metrics);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_METRICS_GRPC_METRICS_INTERCEPTOR_H_
