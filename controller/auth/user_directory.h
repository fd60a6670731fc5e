// The dashboard's accounts and sessions: users with a role and an argon2id password (managed by
// admins through the operator API: relayguardctl users ...), logins limited per client address
// and per user name, and server-side sessions that end when idle, when too old, on logout, on a
// password change and when the user is removed. Every change and every login is audited. Safe
// to call from several threads (the store through StoreFacade, the limits under a lock).
#ifndef RELAYGUARD_CONTROLLER_AUTH_USER_DIRECTORY_H_
#define RELAYGUARD_CONTROLLER_AUTH_USER_DIRECTORY_H_

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "controller/auth/login_limiter.h"
#include "controller/auth/role.h"
#include "controller/store/records.h"
#include "controller/store/store_facade.h"

namespace relayguard::controller {

// A signed-in session as the web server sees it. `token` goes into the session cookie (the
// store keeps only its SHA-256); `csrf_token` must come back in a header with every write.
struct Session {
  std::string token;
  std::string csrf_token;
  std::string user;
  Role role = Role::kViewer;
  int64_t expires_at = 0;  // seconds since the epoch; an idle session ends before
};

class UserDirectory {
 public:
  struct Options {
    std::chrono::seconds idle_timeout{1800};
    std::chrono::seconds max_age{43200};
    int max_failures = 5;
    std::chrono::seconds failure_window{300};
  };

  UserDirectory(StoreFacade& store, Clock& clock, Options options);
  // With the default Options (a nested struct's defaults cannot be a default argument here).
  UserDirectory(StoreFacade& store, Clock& clock) : UserDirectory(store, clock, Options()) {}

  // The account changes, by `who` (the caller's identity for the audit log, "operator-alice").
  // InvalidArgument for a bad name or password (nothing stored), AlreadyExists / NotFound from
  // the store; every outcome with a valid name is audited ("user add", "user remove",
  // "user passwd", target "user NAME"). SetPassword and RemoveUser end the user's sessions.
  // Removing the last admin is allowed on purpose: relayguardctl with an operator certificate
  // can always add one back, so no lock-out can follow.
  absl::StatusOr<UserRecord> AddUser(const std::string& name, Role role,
                                     const std::string& password, const std::string& who);
  absl::Status RemoveUser(const std::string& name, const std::string& who);
  absl::StatusOr<UserRecord> SetPassword(const std::string& name, const std::string& password,
                                         const std::string& who);
  absl::StatusOr<std::vector<UserRecord>> Users();  // ordered by name

  // Unauthenticated "wrong user name or password" for an unknown user and for a wrong password
  // alike (an unknown user's attempt is verified against a dummy hash so timing does not tell).
  // ResourceExhausted when `client` (an address; an IPv6 one by its /64) or `name` (every
  // invalid name alike) had max_failures failures within failure_window, attempts under way
  // counted as failures; *retry_after_s then says how many seconds to wait. On success a new
  // session (32 random bytes, base64url; only its SHA-256 is stored) with its own CSRF token.
  // Audited as "web login" by "web:NAME", target "from CLIENT".
  absl::StatusOr<Session> Login(const std::string& name, const std::string& password,
                                const std::string& client, int* retry_after_s = nullptr);

  // The session of `token`, its last_seen refreshed when `touch` (a request of the user's; not
  // for live-update streams and automatic page refreshes, which must not keep a session alive).
  // Unauthenticated (a message naming no file) when unknown, idle longer than idle_timeout,
  // older than max_age, or its user is gone (an ended session is deleted); a store failure
  // comes back as the store's status (Internal, Unavailable, DataLoss...), never as
  // Unauthenticated. The role is the user's now: a changed role applies at once.
  absl::StatusOr<Session> Authenticate(const std::string& token, bool touch);
  absl::StatusOr<Session> Authenticate(const std::string& token) {
    return Authenticate(token, /*touch=*/true);
  }

  // Ends the session of `token` (audited as "web logout"); Unauthenticated when there is none.
  absl::Status Logout(const std::string& token);

 private:
  // How a login attempt ended, for the limits.
  enum class LoginEnd { kSignedIn, kWrong, kNotChecked };
  // Seconds the client or the name must wait before trying again; 0 when neither must, and
  // then the attempt is under way (counted as a failure) until EndLogin.
  int64_t BeginLogin(const std::string& name_key, const std::string& client_key, bool* audit_it);
  void EndLogin(const std::string& name_key, const std::string& client_key, LoginEnd end);
  // The password check and the new session; *end says how it ended.
  absl::StatusOr<Session> CheckLogin(const std::string& name, const std::string& password,
                                     LoginEnd* end);
  absl::StatusOr<Session> StartSession(const UserRecord& user);

  StoreFacade& store_;
  Clock& clock_;
  const Options options_;
  std::mutex limits_mu_;
  LoginLimiter clients_;  // by LoginClientKey; guarded by limits_mu_
  LoginLimiter names_;    // by LoginNameKey; guarded by limits_mu_
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_AUTH_USER_DIRECTORY_H_
