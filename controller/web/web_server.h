// The dashboard's HTTPS server (cpp-httplib with OpenSSL): the pages and their files from memory
// (web_assets.h), the JSON API under /api/ (dashboard_api.h) and the live-update stream
// /api/events (Server-Sent Events from the ChangeFeed). Off unless web_listen is configured.
//
// Bounded, since cpp-httplib serves each open connection from one worker thread until it
// closes: `workers` threads in all and as many accepted connections waiting (then the kernel's
// backlog), at most `max_streams` live-update streams and 3 per user (503 beyond, with
// Retry-After), each ended after an hour (the page reconnects); request bodies of at most
// 64 KiB, sent with a Content-Length, neither chunked nor compressed (cpp-httplib 0.11 limits
// only Content-Length bodies); 10 s read and write timeouts; keep-alive connections closed
// after 2 s idle; TLS 1.2 or newer. Every answer carries a strict Content-Security-Policy
// (scripts, styles and everything else from this origin only), HSTS, nosniff, no referrer and
// no framing.
#ifndef RELAYGUARD_CONTROLLER_WEB_WEB_SERVER_H_
#define RELAYGUARD_CONTROLLER_WEB_WEB_SERVER_H_

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "controller/auth/user_directory.h"
#include "controller/server/operator_api.h"
#include "controller/web/change_feed.h"

namespace httplib {
class SSLServer;
struct DataSink;
}  // namespace httplib

namespace relayguard::controller {

struct WebServerOptions {
  std::string listen;   // HOST:PORT; port 0 takes a free one
  std::string cert;     // PEM certificate chain the browser is shown
  std::string key;      // its private key
  int workers = 24;     // threads serving connections (streams included)
  int max_streams = 8;  // live-update streams open at once; must be below workers
  int max_streams_per_user = 3;
  size_t max_body = 64 * 1024;
};

class WebServer {
 public:
  // Binds and serves from a thread of its own. InvalidArgument for options that cannot work,
  // FailedPrecondition naming the file when the certificate or key cannot be loaded,
  // Unavailable naming the address when it cannot bind.
  static absl::StatusOr<std::unique_ptr<WebServer>> Start(const WebServerOptions& options,
                                                          OperatorApi& api, UserDirectory& users,
                                                          ChangeFeed& feed);
  ~WebServer();  // ends the streams, stops serving and joins

  int port() const { return port_; }
  int open_streams() const { return streams_; }

 private:
  WebServer(OperatorApi& api, UserDirectory& users, ChangeFeed& feed);
  void Configure();
  void Routes();
  void ServeEvents();
  void ServeAssets();
  // Takes a stream slot for `user`; false when the server's or the user's are all taken.
  bool TakeStream(const std::string& user);
  void ReturnStream(const std::string& user);
  // One live-update stream's state between the writes of its next piece.
  struct StreamState {
    uint64_t seen = 0;  // the change feed's number the page has been told of
    bool first = true;
    std::chrono::steady_clock::time_point ends;
  };
  // Writes the stream's next piece (a hello, a ping or a change event) once there is one;
  // false ends the stream (the server stops, the session ended, the lifetime is over, the
  // client went away).
  bool StreamStep(StreamState& stream, const std::string& token, httplib::DataSink& sink);

  OperatorApi& api_;
  UserDirectory& users_;
  ChangeFeed& feed_;
  WebServerOptions options_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  std::atomic<bool> finished_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<int> streams_{0};
  std::mutex streams_mu_;
  std::map<std::string, int> streams_of_;  // user -> open streams; guarded by streams_mu_
  int port_ = 0;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_WEB_WEB_SERVER_H_
