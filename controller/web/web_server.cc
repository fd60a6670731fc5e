#include "controller/web/web_server.h"

#include <httplib.h>
#include <openssl/ssl.h>

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/host_port.h"
#include "common/logging.h"
#include "controller/web/bounded_task_queue.h"
#include "controller/web/dashboard_api.h"
#include "controller/web/web_assets.h"

namespace relayguard::controller {
namespace {

constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

// How often an idle live-update stream sends a comment, so that a closed tab frees its worker.
constexpr std::chrono::seconds kStreamPing(10);
// A stream ends after this long (the page reconnects at once): no stream holds a worker forever.
constexpr std::chrono::hours kStreamLifetime(1);
// Changes within this long of the first are sent as one event.
constexpr std::chrono::milliseconds kStreamCoalesce(100);

std::string ContentTypeOf(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".js") || path.ends_with(".mjs")) {
    return "text/javascript; charset=utf-8";
  }
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".svg")) return "image/svg+xml";
  if (path.ends_with(".png")) return "image/png";
  if (path.ends_with(".ico")) return "image/x-icon";
  if (path.ends_with(".json")) return "application/json";
  if (path.ends_with(".woff2")) return "font/woff2";
  return "application/octet-stream";
}

const WebAsset* FindAsset(std::string_view path) {
  for (const WebAsset& asset : WebAssets()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

}  // namespace

WebServer::WebServer(OperatorApi& api, UserDirectory& users, ChangeFeed& feed)
    : api_(api), users_(users), feed_(feed) {}

absl::StatusOr<std::unique_ptr<WebServer>> WebServer::Start(const WebServerOptions& options,
                                                            OperatorApi& api, UserDirectory& users,
                                                            ChangeFeed& feed) {
  absl::StatusOr<std::pair<std::string, int>> where =
      SplitListenAddress(options.listen, "dashboard listen address");
  if (!where.ok()) return where.status();
  if (options.max_streams < 1 || options.workers < options.max_streams + 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the dashboard needs at least 2 workers more than live-update streams (workers ",
        options.workers, ", streams ", options.max_streams, ")"));
  }
  std::unique_ptr<WebServer> self(new WebServer(api, users, feed));
  self->options_ = options;
  self->server_ = std::make_unique<httplib::SSLServer>(options.cert.c_str(), options.key.c_str());
  if (!self->server_->is_valid()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the dashboard cannot load its certificate ", options.cert, " and key ",
                     options.key, " (PEM files, readable, the key matching the certificate)"));
  }
  self->Configure();
  self->Routes();
  httplib::SSLServer& server = *self->server_;
  const auto& [host, port] = *where;
  self->port_ =
      port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (self->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot serve the dashboard on ", options.listen,
                                               " (address in use, or not an address of this "
                                               "host)"));
  }
  self->thread_ = std::thread([s = self.get()] {
    s->server_->listen_after_bind();
    s->finished_ = true;
  });
  return self;
}

void WebServer::Configure() {
  httplib::SSLServer& server = *server_;
  SSL_CTX_set_min_proto_version(server.ssl_context(), TLS1_2_VERSION);
  const size_t workers = static_cast<size_t>(options_.workers);
  server.new_task_queue = [workers] { return new BoundedTaskQueue(workers, workers); };
  server.set_read_timeout(std::chrono::seconds(10));
  server.set_write_timeout(std::chrono::seconds(10));
  server.set_keep_alive_timeout(2);
  server.set_keep_alive_max_count(100);
  server.set_payload_max_length(options_.max_body);
  // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, which would let a second
  // controller bind the same port.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server.set_default_headers({
      {"Content-Security-Policy", kContentSecurityPolicy},
      {"Strict-Transport-Security", "max-age=31536000"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
  });
  // Before any body is read: cpp-httplib 0.11 enforces the body limit only for a
  // Content-Length body, and inflates compressed ones without a limit.
  const size_t max_body = options_.max_body;
  server.set_pre_routing_handler([max_body](const httplib::Request& q, httplib::Response& r) {
    std::string problem;
    int status = 0;
    if (q.has_header("Transfer-Encoding")) {
      status = 411;
      problem = "send the body with a Content-Length, not chunked";
    } else if (q.has_header("Content-Encoding")) {
      status = 415;
      problem = "compressed request bodies are not accepted";
    } else if (q.method == "POST" && !q.has_header("Content-Length")) {
      status = 411;
      problem = "a POST needs a Content-Length";
    } else if (uint64_t length = 0;
               q.has_header("Content-Length") &&
               (!absl::SimpleAtoi(q.get_header_value("Content-Length"), &length) ||
                length > max_body)) {
      status = 413;
      problem = absl::StrCat("request bodies are limited to ", max_body, " bytes");
    }
    if (status == 0) return httplib::Server::HandlerResponse::Unhandled;
    AnswerError(r, status, problem);
    r.set_header("Connection", "close");
    return httplib::Server::HandlerResponse::Handled;
  });
  server.set_logger([](const httplib::Request& q, const httplib::Response& r) {
    if (r.status >= 500) {
      Logger("controller.web")
          ->warn("{} {} from {}: {} {}", q.method, q.path, q.remote_addr, r.status,
                 r.body.substr(0, 300));
    } else {
      Logger("controller.web")
          ->debug("{} {} from {}: {}", q.method, q.path, q.remote_addr, r.status);
    }
  });
}

void WebServer::Routes() {
  ServeEvents();  // first: the API's catch-all for unknown /api/ paths comes last
  AddDashboardApi(*server_, api_, users_);
  ServeAssets();
}

bool WebServer::TakeStream(const std::string& user) {
  std::lock_guard<std::mutex> lock(streams_mu_);
  if (streams_ >= options_.max_streams || streams_of_[user] >= options_.max_streams_per_user) {
    return false;
  }
  ++streams_;
  ++streams_of_[user];
  return true;
}

void WebServer::ReturnStream(const std::string& user) {
  std::lock_guard<std::mutex> lock(streams_mu_);
  --streams_;
  if (--streams_of_[user] <= 0) streams_of_.erase(user);
}

void WebServer::ServeEvents() {
  server_->Get("/api/events", [this](const httplib::Request& q, httplib::Response& r) {
    std::optional<Session> session = SessionOf(users_, q, r, /*touch=*/false);
    if (!session) return;
    if (!TakeStream(session->user)) {
      Logger("controller.web")
          ->info("live-update stream of {} from {} refused: {} open", session->user, q.remote_addr,
                 streams_.load());
      r.set_header("Retry-After", "5");
      AnswerError(r, 503,
                  absl::StrCat("too many live-update streams open (at most ", options_.max_streams,
                               ", ", options_.max_streams_per_user, " per user); try again later"));
      return;
    }
    r.set_header("Cache-Control", "no-store");
    auto stream = std::make_shared<StreamState>(
        StreamState{feed_.seq(), true, std::chrono::steady_clock::now() + kStreamLifetime});
    r.set_chunked_content_provider(
        "text/event-stream",
        [this, stream, token = session->token](size_t, httplib::DataSink& sink) {
          return StreamStep(*stream, token, sink);
        },
        [this, user = session->user](bool) { ReturnStream(user); });
  });
}

bool WebServer::StreamStep(StreamState& stream, const std::string& token, httplib::DataSink& sink) {
  if (stream.first) {
    stream.first = false;
    static constexpr char kHello[] = "retry: 2000\n: relayguard live updates\n\n";
    return sink.write(kHello, sizeof(kHello) - 1);
  }
  ChangeFeed::Changes changes = feed_.WaitAfter(stream.seen, kStreamPing, stopping_);
  if (stopping_ || std::chrono::steady_clock::now() > stream.ends) return false;
  // A logged-out, expired or removed session ends its stream (checked without keeping it
  // alive: an open tab is not activity).
  if (!users_.Authenticate(token, /*touch=*/false).ok()) return false;
  if (changes.topics.empty()) {
    static constexpr char kPing[] = ": ping\n\n";
    return sink.write(kPing, sizeof(kPing) - 1);
  }
  // A rollout step often changes several topics at once: one event for them.
  std::this_thread::sleep_for(kStreamCoalesce);
  changes = feed_.WaitAfter(stream.seen, std::chrono::milliseconds(0), stopping_);
  stream.seen = changes.seq;
  std::vector<std::string> topics;
  for (ChangeTopic t : changes.topics)
    topics.push_back(absl::StrCat("\"", ChangeTopicName(t), "\""));
  const std::string event = absl::StrCat("event: change\ndata: {\"seq\":", changes.seq,
                                         ",\"topics\":[", absl::StrJoin(topics, ","), "]}\n\n");
  return sink.write(event.data(), event.size());
}

void WebServer::ServeAssets() {
  // The pages' files, and the page itself for every page address (the page routes itself).
  server_->Get(R"(/assets/(.+))", [](const httplib::Request& q, httplib::Response& r) {
    const WebAsset* asset = FindAsset(q.matches[1].str());
    if (asset == nullptr || asset->path == "index.html") {
      r.status = 404;
      r.set_content("not found\n", "text/plain; charset=utf-8");
      return;
    }
    r.set_header("Cache-Control", "no-cache");
    r.set_content(std::string(asset->content), ContentTypeOf(asset->path));
  });
  server_->Get(R"(/(|login|fleet|plan|compliance|attempts|audit|rollouts|rollouts/[^/]+|hosts/[^/]+))",
               [](const httplib::Request&, httplib::Response& r) {
                 const WebAsset* index = FindAsset("index.html");
                 if (index == nullptr) {
                   r.status = 500;
                   r.set_content("this controller was built without its dashboard pages\n",
                                 "text/plain; charset=utf-8");
                   return;
                 }
                 r.set_header("Cache-Control", "no-cache");
                 r.set_content(std::string(index->content), "text/html; charset=utf-8");
               });
}

WebServer::~WebServer() {
  if (!thread_.joinable()) return;  // never served (Start failed)
  stopping_ = true;
  feed_.WakeAll();  // the streams see stopping_ and end at once
  // stop() does nothing until the thread is inside listen_after_bind(): ask until it is out.
  while (!finished_) {
    server_->stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  thread_.join();
}

}  // namespace relayguard::controller
