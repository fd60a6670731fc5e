// The dashboard's JSON API under /api/: the operator API (OperatorApi, the same code the gRPC
// service calls) as JSON over HTTPS, for logged-in users of the controller's local accounts
// (controller/auth), plus login, logout and the session.
//
// Requests and answers are protobuf's JSON mapping of proto/relayguard/v1/operator.proto
// (snake_case names, every field present, enums by name, 64-bit numbers as strings); errors are
// {"error": "..."} with the HTTP status of the operator API's code. Who did it is "web:NAME" in
// the audit log.
//
// Access: every route but login needs the session cookie (a GET with X-Relayguard-Idle, sent by
// a page nobody touched for a minute, does not count as activity for the idle timeout)
// (__Host-relayguard; Secure, HttpOnly, SameSite=Strict). Reads need the viewer role, plans,
// rollouts and rollbacks operator, users and playbook reloads admin. Every write is a POST with a
// JSON body (Content-Type application/json), the session's CSRF token in X-CSRF-Token, and no
// cross-site Origin or Sec-Fetch-Site: anything else is 403 and nothing is done.
#ifndef RELAYGUARD_CONTROLLER_WEB_DASHBOARD_API_H_
#define RELAYGUARD_CONTROLLER_WEB_DASHBOARD_API_H_

#include <optional>
#include <string>

#include "controller/auth/user_directory.h"
#include "controller/server/operator_api.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace relayguard::controller {

constexpr char kSessionCookie[] = "__Host-relayguard";

// Registers every /api/ route except /api/events on `server`.
void AddDashboardApi(httplib::Server& server, OperatorApi& api, UserDirectory& users);

// The session `request` carries, or nullopt after answering 401 (no or an ended session) or,
// when the store fails, 503 in `response`. `touch`: the request counts as activity (it keeps
// the session from ending idle).
std::optional<Session> SessionOf(UserDirectory& users, const httplib::Request& request,
                                 httplib::Response& response, bool touch = true);

// Answers `status` with {"error": message}.
void AnswerError(httplib::Response& response, int status, const std::string& message);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_WEB_DASHBOARD_API_H_
