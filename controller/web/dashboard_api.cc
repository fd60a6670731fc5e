#include "controller/web/dashboard_api.h"

#include <httplib.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "controller/cli/proto_json.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace relayguard::controller {
namespace {

namespace pb = ::relayguard::v1;
using Json = nlohmann::json;

int HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    default:
      return 500;
  }
}

// absl's status codes are the canonical codes, numbered as gRPC's.
int HttpStatusOf(const absl::Status& s) {
  return HttpStatusOf(static_cast<grpc::StatusCode>(static_cast<int>(s.code())));
}

// "a=1; __Host-relayguard=TOKEN; b=2" -> "TOKEN".
std::string CookieValue(const httplib::Request& request, const std::string& name) {
  const std::string header = request.get_header_value("Cookie");
  for (size_t at = 0; at < header.size();) {
    size_t end = header.find(';', at);
    if (end == std::string::npos) end = header.size();
    std::string_view pair(header.data() + at, end - at);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
    at = end + 1;
  }
  return "";
}

bool SameBytes(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Refuses what a cross-site page could send: a body that is not JSON (forms and "simple"
// requests cannot set application/json without a preflight we never allow), a cross-site
// Origin or Sec-Fetch-Site. Empty when allowed, else why not.
std::string CrossSiteProblem(const httplib::Request& request) {
  const std::string type = request.get_header_value("Content-Type");
  if (!absl::StartsWith(type, "application/json")) {
    return "writes take a JSON body (Content-Type: application/json)";
  }
  const std::string site = request.get_header_value("Sec-Fetch-Site");
  if (!site.empty() && site != "same-origin" && site != "none") {
    return absl::StrCat("cross-site request refused (Sec-Fetch-Site: ", site, ")");
  }
  const std::string origin = request.get_header_value("Origin");
  const std::string host = request.get_header_value("Host");
  if (!origin.empty() && origin != absl::StrCat("https://", host)) {
    return absl::StrCat("cross-site request refused (Origin ", origin, " is not https://", host,
                        ")");
  }
  return "";
}

void AnswerJson(httplib::Response& response, int status, const std::string& json) {
  response.status = status;
  response.set_header("Cache-Control", "no-store");
  response.set_content(json, "application/json");
}

void AnswerProto(httplib::Response& response, const google::protobuf::Message& message) {
  AnswerJson(response, 200, ProtoJson(message));
}

// Reads the request body as `message` (unknown fields refused); false after answering 400.
bool ParseBody(const httplib::Request& request, httplib::Response& response,
               google::protobuf::Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const std::string& body = request.body.empty() ? std::string("{}") : request.body;
  auto parsed = google::protobuf::util::JsonStringToMessage(body, message, options);
  if (!parsed.ok()) {
    AnswerError(response, 400,
                absl::StrCat("the request body is not a valid ", message->GetDescriptor()->name(),
                             ": ", parsed.ToString()));
    return false;
  }
  return true;
}

// Whether `session`'s role includes `need`; false after answering 403.
bool Allowed(const Session& session, Role need, httplib::Response& r) {
  if (RoleAllows(session.role, need)) return true;
  AnswerError(r, 403, absl::StrCat("role ", RoleName(session.role), " may not do this (",
                                   RoleName(need), " needed)"));
  return false;
}

// A route's handler, given the caller's session.
using Handler = std::function<void(const Session&, const httplib::Request&, httplib::Response&)>;

class Routes {
 public:
  Routes(httplib::Server& server, OperatorApi& api, UserDirectory& users)
      : server_(server), api_(api), users_(users) {}

  // GET `pattern` for users with at least `need`.
  void Read(const std::string& pattern, Role need, Handler handler) {
    server_.Get(pattern, [this, need, handler](const httplib::Request& q, httplib::Response& r) {
      // A page left alone refreshes itself on live updates: not activity (api.js).
      std::optional<Session> session =
          SessionOf(users_, q, r, /*touch=*/!q.has_header("X-Relayguard-Idle"));
      if (!session) return;
      if (!Allowed(*session, need, r)) return;
      handler(*session, q, r);
    });
  }

  // POST `pattern` (a write: CSRF token, JSON, same origin) for users with at least `need`.
  void Write(const std::string& pattern, Role need, Handler handler) {
    server_.Post(pattern, [this, need, handler](const httplib::Request& q, httplib::Response& r) {
      std::optional<Session> session = SessionOf(users_, q, r);
      if (!session) return;
      if (std::string problem = CrossSiteProblem(q); !problem.empty()) {
        AnswerError(r, 403, problem);
        return;
      }
      if (!SameBytes(q.get_header_value("X-CSRF-Token"), session->csrf_token)) {
        AnswerError(r, 403, "missing or wrong X-CSRF-Token: reload the page");
        return;
      }
      if (!Allowed(*session, need, r)) return;
      handler(*session, q, r);
    });
  }

  // Calls `method` of the operator API as the session's user with `request`, answers its
  // response or error.
  template <typename Request, typename Response>
  void Call(grpc::Status (OperatorApi::*method)(const std::string&, const Request*, Response*),
            const Session& session, const Request& request, httplib::Response& r) {
    Response response;
    grpc::Status s = (api_.*method)(absl::StrCat("web:", session.user), &request, &response);
    if (!s.ok()) {
      AnswerError(r, HttpStatusOf(s.error_code()), s.error_message());
      return;
    }
    AnswerProto(r, response);
  }

  // A write whose body is the operator API's request message.
  template <typename Request, typename Response>
  void WriteCall(const std::string& pattern, Role need,
                 grpc::Status (OperatorApi::*method)(const std::string&, const Request*,
                                                     Response*)) {
    Write(pattern, need,
          [this, method](const Session& s, const httplib::Request& q, httplib::Response& r) {
            Request request;
            if (!ParseBody(q, r, &request)) return;
            Call(method, s, request, r);
          });
  }

  OperatorApi& api() { return api_; }
  UserDirectory& users() { return users_; }

 private:
  httplib::Server& server_;
  OperatorApi& api_;
  UserDirectory& users_;
};

// A positive ?name=N, else `fallback`; false after answering 400 for a bad one.
bool IntParam(const httplib::Request& q, httplib::Response& r, const std::string& name,
              int fallback, int* out) {
  *out = fallback;
  if (!q.has_param(name.c_str())) return true;
  const std::string text = q.get_param_value(name.c_str());
  if (!absl::SimpleAtoi(text, out) || *out < 1 || *out > 100000) {
    AnswerError(
        r, 400,
        absl::StrCat("?", name, "=", text.substr(0, 40), " is not a number from 1 to 100000"));
    return false;
  }
  return true;
}

Json SessionJson(const Session& s) {
  return Json{{"user", s.user},
              {"role", RoleName(s.role)},
              {"csrf_token", s.csrf_token},
              {"expires_at", std::to_string(s.expires_at)}};
}

void Login(UserDirectory& users, const httplib::Request& q, httplib::Response& r) {
  if (std::string problem = CrossSiteProblem(q); !problem.empty()) {
    AnswerError(r, 403, problem);
    return;
  }
  Json body = Json::parse(q.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("user") || !body["user"].is_string() ||
      !body.contains("password") || !body["password"].is_string()) {
    AnswerError(r, 400, "login takes {\"user\": NAME, \"password\": PASSWORD}");
    return;
  }
  int retry_after = 0;
  absl::StatusOr<Session> session =
      users.Login(body["user"].get<std::string>(), body["password"].get<std::string>(),
                  q.remote_addr, &retry_after);
  if (!session.ok()) {
    if (retry_after > 0) r.set_header("Retry-After", std::to_string(retry_after));
    AnswerError(r, HttpStatusOf(session.status()), std::string(session.status().message()));
    return;
  }
  // A session cookie: the server ends the session (idle, age, logout, password change).
  r.set_header("Set-Cookie", absl::StrCat(kSessionCookie, "=", session->token,
                                          "; Path=/; Secure; HttpOnly; SameSite=Strict"));
  AnswerJson(r, 200, SessionJson(*session).dump());
}

}  // namespace

void AnswerError(httplib::Response& response, int status, const std::string& message) {
  AnswerJson(response, status, Json{{"error", message}}.dump());
}

std::optional<Session> SessionOf(UserDirectory& users, const httplib::Request& request,
                                 httplib::Response& response, bool touch) {
  const std::string token = CookieValue(request, kSessionCookie);
  if (token.empty()) {
    AnswerError(response, 401, "log in first");
    return std::nullopt;
  }
  absl::StatusOr<Session> session = users.Authenticate(token, touch);
  if (absl::IsUnauthenticated(session.status())) {
    AnswerError(response, 401, std::string(session.status().message()));
    return std::nullopt;
  }
  if (!session.ok()) {
    // The store failed: the session may be fine, so do not send the page to the login.
    Logger("controller.web")->error("cannot check a session: {}", session.status().message());
    response.set_header("Retry-After", "5");
    AnswerError(response, 503, "the controller cannot check sessions right now; try again");
    return std::nullopt;
  }
  return *session;
}

void AddDashboardApi(httplib::Server& server, OperatorApi& api, UserDirectory& users) {
  auto routes = std::make_shared<Routes>(server, api, users);
  Routes& on = *routes;
  constexpr Role kViewer = Role::kViewer, kOperator = Role::kOperator, kAdmin = Role::kAdmin;

  server.Post("/api/login",
              [&users](const httplib::Request& q, httplib::Response& r) { Login(users, q, r); });
  on.Read("/api/session", kViewer,
          [](const Session& s, const httplib::Request&, httplib::Response& r) {
            AnswerJson(r, 200, SessionJson(s).dump());
          });
  on.Write("/api/logout", kViewer,
           [&users](const Session& s, const httplib::Request&, httplib::Response& r) {
             absl::Status out = users.Logout(s.token);
             r.set_header("Set-Cookie",
                          absl::StrCat(kSessionCookie,
                                       "=; Path=/; Secure; HttpOnly; SameSite=Strict; "
                                       "Max-Age=0"));
             if (!out.ok()) {
               AnswerError(r, HttpStatusOf(out), std::string(out.message()));
               return;
             }
             r.status = 204;
           });

  // Reads.
  on.Read("/api/hosts", kViewer,
          [routes](const Session& s, const httplib::Request&, httplib::Response& r) {
            routes->Call(&OperatorApi::ListHosts, s, pb::ListHostsRequest(), r);
          });
  on.Read(R"(/api/hosts/([^/]+)/history)", kViewer,
          [routes](const Session& s, const httplib::Request& q, httplib::Response& r) {
            pb::HostHistoryRequest request;
            request.set_host(q.matches[1]);
            int limit = 0;
            if (!IntParam(q, r, "limit", 50, &limit)) return;
            request.set_limit(limit);
            routes->Call(&OperatorApi::HostHistory, s, request, r);
          });
  on.Read("/api/compliance", kViewer,
          [routes](const Session& s, const httplib::Request& q, httplib::Response& r) {
            pb::ComplianceRequest request;
            request.set_host(q.get_param_value("host"));
            request.set_history(q.get_param_value("history") == "true");
            int limit = 0;
            if (!IntParam(q, r, "limit", 100, &limit)) return;
            request.set_limit(limit);
            routes->Call(&OperatorApi::Compliance, s, request, r);
          });
  on.Read("/api/attempts", kViewer,
          [routes](const Session& s, const httplib::Request& q, httplib::Response& r) {
            pb::ListAttemptsRequest request;
            request.set_host(q.get_param_value("host"));
            int64_t since = 0;
            if (q.has_param("since") &&
                (!absl::SimpleAtoi(q.get_param_value("since"), &since) || since < 0)) {
              AnswerError(r, 400,
                          absl::StrCat("?since=", q.get_param_value("since").substr(0, 40),
                                       " is not a time in seconds since the epoch"));
              return;
            }
            request.set_since(since);
            int limit = 0;
            if (!IntParam(q, r, "limit", 100, &limit)) return;
            request.set_limit(std::min(limit, 10000));
            routes->Call(&OperatorApi::ListAttempts, s, request, r);
          });
  on.Read("/api/rollouts", kViewer,
          [routes](const Session& s, const httplib::Request&, httplib::Response& r) {
            routes->Call(&OperatorApi::ListRollouts, s, pb::ListRolloutsRequest(), r);
          });
  on.Read(R"(/api/rollouts/([^/]+))", kViewer,
          [routes](const Session& s, const httplib::Request& q, httplib::Response& r) {
            pb::GetRolloutRequest request;
            request.set_id(q.matches[1]);
            routes->Call(&OperatorApi::GetRollout, s, request, r);
          });
  on.Read("/api/policies", kViewer,
          [routes](const Session& s, const httplib::Request&, httplib::Response& r) {
            routes->Call(&OperatorApi::ListPolicies, s, pb::ListPoliciesRequest(), r);
          });
  on.Read("/api/audit", kViewer,
          [routes](const Session& s, const httplib::Request& q, httplib::Response& r) {
            pb::ListAuditRequest request;
            int limit = 0;
            if (!IntParam(q, r, "limit", 500, &limit)) return;
            request.set_limit(limit);
            routes->Call(&OperatorApi::ListAudit, s, request, r);
          });

  // Writes of operators. A preview changes nothing but carries a request body.
  on.WriteCall("/api/plan", kOperator, &OperatorApi::Plan);
  on.WriteCall("/api/rollouts", kOperator, &OperatorApi::StartRollout);
  on.WriteCall("/api/rollback/preview", kOperator, &OperatorApi::PreviewRollback);
  on.WriteCall("/api/rollback", kOperator, &OperatorApi::RollbackHosts);
  for (const auto& [verb, method] : {std::pair{"pause", &OperatorApi::PauseRollout},
                                     std::pair{"resume", &OperatorApi::ResumeRollout},
                                     std::pair{"abort", &OperatorApi::AbortRollout}}) {
    auto call = method;
    on.Write(absl::StrCat(R"(/api/rollouts/([^/]+)/)", verb), kOperator,
             [routes, call](const Session& s, const httplib::Request& q, httplib::Response& r) {
               pb::GetRolloutRequest request;
               if (!ParseBody(q, r, &request)) return;
               request.set_id(q.matches[1]);
               routes->Call(call, s, request, r);
             });
  }

  // Admin.
  on.WriteCall("/api/playbooks/reload", kAdmin, &OperatorApi::ReloadPlaybooks);
  on.Read("/api/users", kAdmin,
          [routes](const Session& s, const httplib::Request&, httplib::Response& r) {
            routes->Call(&OperatorApi::ListUsers, s, pb::ListUsersRequest(), r);
          });
  on.WriteCall("/api/users", kAdmin, &OperatorApi::AddUser);
  on.WriteCall("/api/users/remove", kAdmin, &OperatorApi::RemoveUser);
  on.WriteCall("/api/users/password", kAdmin, &OperatorApi::SetUserPassword);

  // Anything else under /api/ is not a route (rather than the page fallback).
  server.Get(R"(/api/.*)", [](const httplib::Request& q, httplib::Response& r) {
    AnswerError(r, 404, absl::StrCat("no API route GET ", q.path));
  });
  server.Post(R"(/api/.*)", [](const httplib::Request& q, httplib::Response& r) {
    AnswerError(r, 404, absl::StrCat("no API route POST ", q.path));
  });
}

}  // namespace relayguard::controller
