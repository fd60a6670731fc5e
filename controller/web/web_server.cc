#include "controller/web/web_server.h"

#include <httplib.h>

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
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
// Changes within this long of the first are sent as one event.
constexpr std::chrono::milliseconds kStreamCoalesce(100);

// "127.0.0.1:8443" -> ("127.0.0.1", 8443); "[::1]:0" -> ("::1", 0).
absl::StatusOr<std::pair<std::string, int>> SplitListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("dashboard listen address \"", listen, "\" is not HOST:PORT"));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::make_pair(host, port);
}

std::string ContentTypeOf(std::string_view path) {
  if (absl::EndsWith(path, ".html")) return "text/html; charset=utf-8";
  if (absl::EndsWith(path, ".js") || absl::EndsWith(path, ".mjs")) {
    return "text/javascript; charset=utf-8";
  }
  if (absl::EndsWith(path, ".css")) return "text/css; charset=utf-8";
  if (absl::EndsWith(path, ".svg")) return "image/svg+xml";
  if (absl::EndsWith(path, ".png")) return "image/png";
  if (absl::EndsWith(path, ".ico")) return "image/x-icon";
  if (absl::EndsWith(path, ".json")) return "application/json";
  if (absl::EndsWith(path, ".woff2")) return "font/woff2";
  return "application/octet-stream";
}

const WebAsset* FindAsset(std::string_view path) {
  for (const WebAsset& asset : WebAssets()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<WebServer>> WebServer::Start(const WebServerOptions& options,
                                                            OperatorApi& api,
                                                            UserDirectory& users,
                                                            ChangeFeed& feed) {
  absl::StatusOr<std::pair<std::string, int>> where = SplitListen(options.listen);
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
  httplib::SSLServer& server = *self->server_;
  const int workers = options.workers;
  server.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  server.set_read_timeout(std::chrono::seconds(10));
  server.set_write_timeout(std::chrono::seconds(10));
  server.set_keep_alive_timeout(5);
  server.set_keep_alive_max_count(100);
  server.set_payload_max_length(options.max_body);
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
  self->Routes();
  const auto& [host, port] = *where;
  self->port_ = port == 0 ? server.bind_to_any_port(host)
                          : (server.bind_to_port(host, port) ? port : -1);
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

void WebServer::Routes() {
  httplib::SSLServer& server = *server_;
  // Live updates first: the API's catch-all for unknown /api/ paths comes last.
  server.Get("/api/events", [this](const httplib::Request& q, httplib::Response& r) {
    std::optional<Session> session = SessionOf(users_, q, r);
    if (!session) return;
    if (streams_.fetch_add(1) >= options_.max_streams) {
      --streams_;
      r.set_header("Retry-After", "5");
      AnswerError(r, 503, absl::StrCat("too many live-update streams open (", options_.max_streams,
                                       "); try again later"));
      return;
    }
    r.set_header("Cache-Control", "no-store");
    auto seen = std::make_shared<uint64_t>(feed_.seq());
    auto first = std::make_shared<bool>(true);
    std::string token = session->token;
    r.set_chunked_content_provider(
        "text/event-stream",
        [this, seen, first, token](size_t, httplib::DataSink& sink) {
          if (*first) {
            *first = false;
            const std::string hello = absl::StrCat("retry: 2000\n: relayguard live updates\n\n");
            return sink.write(hello.data(), hello.size());
          }
          ChangeFeed::Changes changes = feed_.WaitAfter(*seen, kStreamPing);
          if (stopping_ || feed_.closed()) return false;
          if (changes.topics.empty()) {
            static constexpr char kPing[] = ": ping\n\n";
            return sink.write(kPing, sizeof(kPing) - 1);
          }
          // A rollout step often changes several topics at once: one event for them.
          std::this_thread::sleep_for(kStreamCoalesce);
          changes = feed_.WaitAfter(*seen, std::chrono::milliseconds(0));
          *seen = changes.seq;
          // A logged-out or expired session ends its stream at the next change.
          if (!users_.Authenticate(token).ok()) return false;
          std::vector<std::string> topics;
          for (ChangeTopic t : changes.topics) topics.push_back(absl::StrCat("\"", ChangeTopicName(t), "\""));
          const std::string event =
              absl::StrCat("event: change\ndata: {\"seq\":", changes.seq, ",\"topics\":[",
                           absl::StrJoin(topics, ","), "]}\n\n");
          return sink.write(event.data(), event.size());
        },
        [this](bool) { --streams_; });
  });
  AddDashboardApi(server, api_, users_);
  // The pages' files, and the page itself for every page address (the page routes itself).
  server.Get(R"(/assets/(.+))", [](const httplib::Request& q, httplib::Response& r) {
    const WebAsset* asset = FindAsset(q.matches[1].str());
    if (asset == nullptr || asset->path == "index.html") {
      r.status = 404;
      r.set_content("not found\n", "text/plain; charset=utf-8");
      return;
    }
    r.set_header("Cache-Control", "no-cache");
    r.set_content(std::string(asset->content), ContentTypeOf(asset->path));
  });
  server.Get(R"(/(|login|fleet|plan|compliance|audit|users|rollouts|rollouts/[^/]+|hosts/[^/]+))",
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
  feed_.Close();  // wakes the streams: they end at once
  // stop() does nothing until the thread is inside listen_after_bind(): ask until it is out.
  while (!finished_) {
    server_->stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  thread_.join();
}

}  // namespace relayguard::controller
