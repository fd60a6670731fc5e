// The dashboard's server (controller/web) over real HTTPS on loopback, with certificates from
// deploy/make-certs.sh, on the controller's real parts (SQLite store, rollout manager, user
// directory): logins, sessions, roles, the CSRF rules, the limits and the live updates.
#include "controller/web/web_server.h"

#include <httplib.h>

#include <chrono>
#include <functional>
#include <future>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controller/web/dashboard_api.h"
#include "nlohmann/json.hpp"
#include "tests/support/controller_parts.h"
#include "tests/support/postfix_lab.h"

namespace relayguard::controller {
namespace {

using ::relayguard::testing::RunCommand;
using ::relayguard::testing::SourcePath;
using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr char kPassword[] = "correct horse battery";

class WebServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-web-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::string out;
    ASSERT_EQ(RunCommand({"/bin/bash", SourcePath("deploy/make-certs.sh"), dir_ + "/certs"}, &out),
              0)
        << out;
    auto opened = SqliteStore::Open(dir_ + "/controller.db");
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = *std::move(opened);
    facade_ = std::make_unique<StoreFacade>(*store_, clock_, feed_);
    registry_ = std::make_unique<AgentRegistry>(feed_);
    channel_ = std::make_unique<AgentChannel>(*registry_, clock_);
    manager_ = std::make_unique<RolloutManager>(*facade_, *channel_, clock_, feed_);
    tracker_ = std::make_unique<ComplianceTracker>(*facade_, *registry_, clock_);
    attempts_ = std::make_unique<AttemptTracker>(*facade_, clock_, feed_);
    users_ = std::make_unique<UserDirectory>(*facade_, clock_);
    api_ = std::make_unique<OperatorApi>(
        *manager_, *facade_, *registry_, *tracker_, *attempts_,
        [] { return std::pair<std::vector<std::string>, std::vector<std::string>>(); },
        users_.get());
    ASSERT_TRUE(store_->PutPolicyVersion({"no-open-relay", 2, kTestPlaybook, 1}).ok());
    ASSERT_TRUE(users_->AddUser("alice", Role::kOperator, kPassword, "test").ok());
    ASSERT_TRUE(users_->AddUser("victor", Role::kViewer, kPassword, "test").ok());
    StartServer(8);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  void StartServer(int max_streams) {
    server_.reset();
    WebServerOptions options;
    options.listen = "127.0.0.1:0";
    options.cert = dir_ + "/certs/controller.crt";
    options.key = dir_ + "/certs/controller.key";
    options.max_streams = max_streams;
    options.workers = max_streams + 4;
    auto started = WebServer::Start(options, *api_, *users_, feed_);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = *std::move(started);
  }
  std::unique_ptr<httplib::SSLClient> Client() {
    auto client = std::make_unique<httplib::SSLClient>("127.0.0.1", server_->port());
    client->set_ca_cert_path((dir_ + "/certs/ca.crt").c_str());
    client->enable_server_certificate_verification(true);
    client->set_read_timeout(std::chrono::seconds(10));
    return client;
  }
  // Logs in; returns (cookie header, csrf token).
  std::pair<std::string, std::string> LogIn(const std::string& user) {
    httplib::Result r = Client()->Post(
        "/api/login", Json{{"user", user}, {"password", kPassword}}.dump(), "application/json");
    EXPECT_TRUE(r) << httplib::to_string(r.error());
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    const std::string cookie = r->get_header_value("Set-Cookie");
    return {cookie.substr(0, cookie.find(';')), Json::parse(r->body).value("csrf_token", "")};
  }
  httplib::Result Post(const std::string& path, const std::string& body,
                       const std::pair<std::string, std::string>& session,
                       httplib::Headers extra = {}) {
    httplib::Headers headers = {{"Cookie", session.first}, {"X-CSRF-Token", session.second}};
    for (const auto& h : extra) headers.erase(h.first), headers.insert(h);
    return Client()->Post(path.c_str(), headers, body, "application/json");
  }
  // A request the server refuses before reading its body: it answers and closes with the body
  // unread, and the kernel may then reset the connection before the client has read the answer.
  // Sent again until an answer is read (the refusal is the same each time; nothing is done).
  httplib::Result Refused(const std::function<httplib::Result()>& send) {
    httplib::Result r = send();
    for (int i = 0; i < 20 && !r; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      r = send();
    }
    return r;
  }
  httplib::Result Get(const std::string& path, const std::string& cookie) {
    return Client()->Get(path.c_str(), {{"Cookie", cookie}});
  }

  std::string dir_;
  TestClock clock_;
  ChangeFeed feed_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<StoreFacade> facade_;
  std::unique_ptr<AgentRegistry> registry_;
  std::unique_ptr<AgentChannel> channel_;
  std::unique_ptr<RolloutManager> manager_;
  std::unique_ptr<ComplianceTracker> tracker_;
  std::unique_ptr<AttemptTracker> attempts_;
  std::unique_ptr<UserDirectory> users_;
  std::unique_ptr<OperatorApi> api_;
  std::unique_ptr<WebServer> server_;
};

TEST_F(WebServerTest, LoginSetsAStrictHostCookieAndTheSessionAnswersUntilLogout) {
  httplib::Result r = Client()->Post(
      "/api/login", Json{{"user", "alice"}, {"password", kPassword}}.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string cookie = r->get_header_value("Set-Cookie");
  EXPECT_THAT(cookie, ::testing::StartsWith(std::string(kSessionCookie) + "="));
  EXPECT_THAT(cookie, HasSubstr("; Path=/; Secure; HttpOnly; SameSite=Strict"));
  Json session = Json::parse(r->body);
  EXPECT_EQ(session["user"], "alice");
  EXPECT_EQ(session["role"], "operator");
  EXPECT_EQ(session["csrf_token"].get<std::string>().size(), 43u);  // 32 bytes, base64url
  // Every answer carries the security headers.
  EXPECT_THAT(r->get_header_value("Content-Security-Policy"), HasSubstr("script-src 'self'"));
  EXPECT_THAT(r->get_header_value("Content-Security-Policy"), HasSubstr("frame-ancestors 'none'"));
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_THAT(r->get_header_value("Strict-Transport-Security"), HasSubstr("max-age="));

  const std::pair<std::string, std::string> s = {cookie.substr(0, cookie.find(';')),
                                                 session["csrf_token"]};
  r = Get("/api/session", s.first);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = Post("/api/logout", "{}", s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_THAT(r->get_header_value("Set-Cookie"), HasSubstr("Max-Age=0"));
  r = Get("/api/session", s.first);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = Get("/api/hosts", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_THAT(r->body, HasSubstr("log in first"));
}

TEST_F(WebServerTest, AWrongPasswordIsRefusedThenRateLimitedAndAudited) {
  for (int i = 0; i < 5; ++i) {
    httplib::Result r = Client()->Post(
        "/api/login", Json{{"user", "alice"}, {"password", "wrong password!"}}.dump(),
        "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << r->body;
    EXPECT_THAT(r->body, HasSubstr("wrong user name or password"));
  }
  httplib::Result r = Client()->Post(
      "/api/login", Json{{"user", "alice"}, {"password", kPassword}}.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429) << r->body;
  EXPECT_FALSE(r->get_header_value("Retry-After").empty());
  std::vector<AuditEntry> audit = *store_->AuditLog(20);
  size_t failed = 0;
  for (const AuditEntry& e : audit) {
    if (e.action == "web login" && e.who == "web:alice" && e.result != "ok") ++failed;
  }
  EXPECT_GE(failed, 5u);
}

TEST_F(WebServerTest, WritesNeedTheCsrfTokenJsonAndTheSameOriginAndAViewerMayNotWrite) {
  auto alice = LogIn("alice");
  auto victor = LogIn("victor");
  const std::string abort = R"({"reason":"test"})";
  // No token, a wrong token.
  httplib::Result r = Post("/api/rollouts/r-000001/abort", abort, {alice.first, ""});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_THAT(r->body, HasSubstr("X-CSRF-Token"));
  r = Post("/api/rollouts/r-000001/abort", abort, {alice.first, victor.second});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  // A form post, another origin, a cross-site fetch.
  r = Client()->Post("/api/rollouts/r-000001/abort",
                     {{"Cookie", alice.first}, {"X-CSRF-Token", alice.second}}, "reason=x",
                     "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  r = Post("/api/rollouts/r-000001/abort", abort, alice, {{"Origin", "https://evil.example"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_THAT(r->body, HasSubstr("cross-site"));
  r = Post("/api/rollouts/r-000001/abort", abort, alice, {{"Sec-Fetch-Site", "cross-site"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  // A viewer may read but not write.
  r = Get("/api/rollouts", victor.first);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  for (const char* path :
       {"/api/rollouts", "/api/plan", "/api/rollback", "/api/rollback/preview",
        "/api/rollouts/r-000001/pause", "/api/playbooks/reload", "/api/users"}) {
    r = Post(path, "{}", victor);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << path << ": " << r->body;
    EXPECT_THAT(r->body, HasSubstr("role viewer may not")) << path;
  }
  // With everything right the operator API answers: here, that there is no such rollout.
  r = Post("/api/rollouts/r-000001/abort", abort, alice);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  EXPECT_THAT(r->body, HasSubstr("is not active"));
  // An operator may not manage users.
  r = Post("/api/users", R"({"name":"eve","role":"USER_ROLE_ADMIN","password":"0123456789ab"})",
           alice);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
}

TEST_F(WebServerTest, BadRequestsGetClearErrorsAndChangeNothing) {
  auto alice = LogIn("alice");
  httplib::Result r = Post("/api/rollouts", "{\"policy\": ", alice);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body, HasSubstr("is not a valid StartRolloutRequest"));
  r = Post("/api/rollouts", R"({"policy":"no-open-relay","hostz":["mx1"]})", alice);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = Post("/api/rollouts", R"({"policy":"no-open-relay","hosts":["mx1"],"reason":"a\nb"})",
           alice);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body, HasSubstr("newline"));
  r = Refused([&] { return Post("/api/rollouts", std::string(70 * 1024, ' '), alice); });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  r = Get("/api/hosts/mx1/history?limit=0", alice.first);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = Get("/api/nothing", alice.first);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_TRUE(store_->Rollouts()->empty());
}

TEST_F(WebServerTest, BodiesMustHaveALengthAndNoEncodingBeforeAnythingIsRead) {
  auto alice = LogIn("alice");
  // Chunked: cpp-httplib would read it without a limit.
  httplib::Result r = Refused([&] {
    return Client()->Post(
        "/api/rollouts", {{"Cookie", alice.first}, {"X-CSRF-Token", alice.second}},
        [](size_t offset, httplib::DataSink& sink) {
          if (offset == 0) {
            const std::string chunk = R"({"policy":"no-open-relay","hosts":["mx1"]})";
            sink.write(chunk.data(), chunk.size());
          } else {
            sink.done();
          }
          return true;
        },
        "application/json");
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 411) << r->body;
  // Compressed: inflated without a limit otherwise.
  r = Refused([&] {
    return Client()->Post("/api/login", {{"Content-Encoding", "gzip"}}, std::string(100, 'x'),
                          "application/json");
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415) << r->body;
  EXPECT_TRUE(store_->Rollouts()->empty());
}

TEST_F(WebServerTest, ReadsAnswerTheOperatorApisJson) {
  auto victor = LogIn("victor");
  httplib::Result r = Get("/api/policies", victor.first);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  Json policies = Json::parse(r->body);
  ASSERT_EQ(policies["policies"].size(), 1u);
  EXPECT_EQ(policies["policies"][0]["name"], "no-open-relay");
  EXPECT_EQ(policies["policies"][0]["version"], "2");  // 64-bit numbers as strings
  r = Get("/api/compliance", victor.first);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Json::parse(r->body)["total"], 0);
}

TEST_F(WebServerTest, AttemptsAnswerTheOperatorApisJsonForViewers) {
  HostRecord mx1;
  mx1.name = "mx1";
  mx1.mta = "postfix";
  mx1.mta_version = "3.7.11";
  ASSERT_TRUE(facade_->RecordHost(mx1).ok());
  AttemptReportRecord report;
  report.host = "mx1";
  report.seq = 1;
  report.period_start = clock_.wall - 400;
  report.period_end = clock_.wall - 100;
  report.refused = 9;
  SourceAttemptsRecord source;
  source.source = "127.0.0.9";
  source.refused = 9;
  source.first_seen = clock_.wall - 300;
  source.last_seen = clock_.wall - 200;
  report.sources = {source};
  ASSERT_TRUE(*attempts_->Record(report));
  auto victor = LogIn("victor");
  httplib::Result r = Get("/api/attempts?host=mx1&since=" + std::to_string(clock_.wall - 3600),
                          victor.first);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  Json attempts = Json::parse(r->body);
  ASSERT_EQ(attempts["rows"].size(), 1u);
  EXPECT_EQ(attempts["rows"][0]["source"], "127.0.0.9");
  EXPECT_EQ(attempts["rows"][0]["refused"], "9");
  EXPECT_EQ(attempts["hosts"][0]["refused"], "9");
  EXPECT_EQ(attempts["since"], std::to_string(clock_.wall - 3600));
  r = Get("/api/attempts", victor.first);  // the last 24 hours
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Json::parse(r->body)["since"], std::to_string(clock_.wall - 86400));
  r = Get("/api/attempts?since=yesterday", victor.first);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_THAT(r->body, HasSubstr("not a time in seconds since the epoch"));
  r = Get("/api/attempts?host=mx9", victor.first);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << r->body;
  r = Get("/api/compliance", victor.first);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Json::parse(r->body)["hosts"][0]["refused_24h"], "9");
}

TEST_F(WebServerTest, LiveUpdatesArriveWithinASecondAndStreamsAreBounded) {
  StartServer(1);
  auto victor = LogIn("victor");
  std::promise<std::string> got;
  std::atomic<bool> done{false};
  std::string received;
  std::string ended;
  std::thread reader([&] {
    auto client = Client();
    httplib::Result r = client->Get("/api/events", {{"Cookie", victor.first}},
                [&](const char* data, size_t length) {
                  received.append(data, length);
                  if (received.find("event: change") != std::string::npos &&
                      received.find("\n\n", received.find("event: change")) !=
                          std::string::npos) {
                    got.set_value(received);
                    return false;
                  }
                  return !done;
                });
    ended = r ? std::to_string(r->status) + " " + r->body : httplib::to_string(r.error());
  });
  struct Join {
    std::thread& t;
    std::atomic<bool>& done;
    ~Join() {
      done = true;
      if (t.joinable()) t.join();
    }
  } join{reader, done};
  // Wait until the stream is open, then a second one is refused.
  for (int i = 0; i < 200 && server_->open_streams() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(server_->open_streams(), 1) << ended;
  httplib::Result second = Get("/api/events", victor.first);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 503);
  EXPECT_EQ(second->get_header_value("Retry-After"), "5");

  const auto changed = std::chrono::steady_clock::now();
  facade_->RecordAudit("operator-test", "rollout start", "r-000009", absl::OkStatus());
  std::future<std::string> event = got.get_future();
  ASSERT_EQ(event.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - changed, std::chrono::seconds(1));
  EXPECT_THAT(event.get(), HasSubstr("\"topics\":[\"audit\"]"));
}

TEST_F(WebServerTest, OneUserHasAtMostThreeLiveUpdateStreams) {
  auto victor = LogIn("victor");
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      Client()->Get("/api/events", {{"Cookie", victor.first}},
                    [&](const char*, size_t) { return !done; });
    });
  }
  struct Join {
    std::vector<std::thread>& threads;
    std::atomic<bool>& done;
    StoreFacade& facade;
    ~Join() {
      done = true;
      facade.RecordAudit("test", "wake", "streams", absl::OkStatus());  // a change ends them
      for (std::thread& t : threads) t.join();
    }
  } join{readers, done, *facade_};
  for (int i = 0; i < 300 && server_->open_streams() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(server_->open_streams(), 3);
  httplib::Result fourth = Get("/api/events", victor.first);
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->status, 503);
  EXPECT_THAT(fourth->body, HasSubstr("3 per user"));
}

TEST_F(WebServerTest, PagesAndAssetsComeFromTheBinary) {
  httplib::Result r = Client()->Get("/fleet");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->get_header_value("Content-Type"), HasSubstr("text/html"));
  EXPECT_THAT(r->body, HasSubstr("<script type=\"module\""));
  EXPECT_THAT(r->get_header_value("Content-Security-Policy"), HasSubstr("default-src 'none'"));
  for (const char* page : {"/attempts", "/compliance", "/hosts/mx1"}) {
    r = Client()->Get(page);
    ASSERT_TRUE(r) << page;
    EXPECT_EQ(r->status, 200) << page;
    EXPECT_THAT(r->body, HasSubstr("<script type=\"module\"")) << page;
  }
  r = Client()->Get("/assets/page_attempts.js");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("/api/attempts?since="));
  r = Client()->Get("/assets/../../etc/passwd");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = Client()->Get("/no-such-page");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST(WebServerStartTest, RefusesACertificateItCannotLoadAndAnAddressItCannotBind) {
  ChangeFeed feed;
  TestClock clock;
  WebServerOptions options;
  options.listen = "127.0.0.1:0";
  options.cert = "/nonexistent/cert.pem";
  options.key = "/nonexistent/key.pem";
  ControllerParts parts;
  UserDirectory users(*parts.facade, clock);
  OperatorApi api(*parts.manager, *parts.facade, *parts.registry, *parts.tracker,
                  *parts.attempts, [] { return std::pair<std::vector<std::string>, std::vector<std::string>>(); });
  auto started = WebServer::Start(options, api, users, feed);
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.status().message(), HasSubstr("/nonexistent/cert.pem"));
  options.listen = "127.0.0.1";
  started = WebServer::Start(options, api, users, feed);
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.status().message(), HasSubstr("dashboard listen address \"127.0.0.1\""));
}

}  // namespace
}  // namespace relayguard::controller
