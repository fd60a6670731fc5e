#include "controller/metrics/metrics_http_server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/host_port.h"
#include "common/metrics_text.h"

namespace relayguard::controller {

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const std::string& listen, Render render) {
  absl::StatusOr<std::pair<std::string, int>> where =
      SplitListenAddress(listen, "metrics listen address");
  if (!where.ok()) return where.status();
  std::unique_ptr<MetricsHttpServer> self(new MetricsHttpServer());
  self->server_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *self->server_;
  // One scrape at a time is the normal load; two threads leave room for a second Prometheus.
  server.new_task_queue = [] { return new httplib::ThreadPool(2); };
  server.set_read_timeout(std::chrono::seconds(5));
  server.set_write_timeout(std::chrono::seconds(5));
  server.set_keep_alive_max_count(10);
  server.set_payload_max_length(0);
  // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, which would let a second
  // controller bind the same port and share the scrapes.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server.Get("/metrics", [render](const httplib::Request&, httplib::Response& response) {
    absl::StatusOr<std::string> text = render();
    if (text.ok()) {
      response.set_content(*text, kMetricsContentType);
    } else {
      response.status = 500;
      response.set_content(absl::StrCat("cannot collect metrics: ", text.status().message(), "\n"),
                           "text/plain; charset=utf-8");
    }
  });
  const auto& [host, port] = *where;
  self->port_ =
      port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (self->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for metrics on ", listen,
                                               " (address in use, or not an address of this "
                                               "host)"));
  }
  self->thread_ = std::thread([s = self.get()] {
    s->server_->listen_after_bind();
    s->finished_ = true;
  });
  return self;
}

MetricsHttpServer::~MetricsHttpServer() {
  if (!thread_.joinable()) return;  // never served (Start failed)
  // stop() does nothing until the thread is inside listen_after_bind(): ask until it is out.
  while (!finished_) {
    server_->stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  thread_.join();
}

}  // namespace relayguard::controller
