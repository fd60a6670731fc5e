// The controller's /metrics over plain HTTP (cpp-httplib), for Prometheus to scrape: GET /metrics
// answers the text format, everything else 404. Off unless a listen address is configured
// (metrics_listen); loopback is the intended place, as the metrics name hosts and policies.
// Bounded: two worker threads, 5 s read and write timeouts, no request bodies.
#ifndef RELAYGUARD_CONTROLLER_METRICS_METRICS_HTTP_SERVER_H_
#define RELAYGUARD_CONTROLLER_METRICS_METRICS_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}

namespace relayguard::controller {

class MetricsHttpServer {
 public:
  // The text to serve, made per scrape; an error answers 500 with its message (Prometheus then
  // marks the target down rather than storing stale numbers).
  using Render = std::function<absl::StatusOr<std::string>()>;

  // Binds `listen` (HOST:PORT, "[V6]:PORT"; port 0 takes a free one) and serves from a thread
  // of its own. Unavailable naming the address when it cannot bind.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(const std::string& listen,
                                                                   Render render);
  ~MetricsHttpServer();  // stops serving and joins

  int port() const { return port_; }

 private:
  MetricsHttpServer() = default;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> finished_{false};  // listen_after_bind() returned
  int port_ = 0;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_METRICS_METRICS_HTTP_SERVER_H_
