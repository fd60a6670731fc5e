#include "controller/auth/user_directory.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "controller/auth/password_hash.h"
#include "controller/auth/tokens.h"

namespace relayguard::controller {
namespace {

// A hash with the same parameters as every stored one, of a password too short to be set: an
// unknown user's login costs what a known user's does.
constexpr char kDummyHash[] =
    "$argon2id$v=19$m=19456,t=2,p=1$cmVsYXlndWFyZC1kdW1teQ$NcjYLMh4Cxiz/"
    "ogvQeIWZdxGuEnRnE1mlFKp+BDU+J4";

constexpr char kWrongLogin[] = "wrong user name or password";

// Sessions one user may hold; a login beyond ends the oldest.
constexpr size_t kMaxSessionsPerUser = 10;

std::string UserTarget(const std::string& name) { return absl::StrCat("user ", name); }

// Who tried to log in, for the audit log: a name that breaks the rule is not written as given.
std::string WebWho(const std::string& name) {
  return absl::StrCat("web:", CheckUserName(name).ok() ? name : "(invalid name)");
}

}  // namespace

UserDirectory::UserDirectory(StoreFacade& store, Clock& clock, Options options)
    : store_(store),
      clock_(clock),
      options_(options),
      clients_(options.max_failures, options.failure_window),
      names_(options.max_failures, options.failure_window) {}

absl::StatusOr<UserRecord> UserDirectory::AddUser(const std::string& name, Role role,
                                                  const std::string& password,
                                                  const std::string& who) {
  RETURN_IF_ERROR(CheckUserName(name));
  const std::string target = absl::StrCat(UserTarget(name), ", role ", RoleName(role));
  absl::StatusOr<UserRecord> added = [&]() -> absl::StatusOr<UserRecord> {
    RETURN_IF_ERROR(CheckPassword(password));
    // Hashed before taking the store's lock: argon2id takes tens of milliseconds on purpose.
    ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
    const int64_t now = clock_.WallSeconds();
    UserRecord user{name, role, std::move(hash), now, now};
    RETURN_IF_ERROR(store_.WithStore([&](Store& s) { return s.PutUser(user); }));
    return user;
  }();
  store_.RecordAudit(who, "user add", target, added.status());
  return added;
}

absl::Status UserDirectory::RemoveUser(const std::string& name, const std::string& who) {
  RETURN_IF_ERROR(CheckUserName(name));
  // Its sessions go with it (Store::DeleteUser).
  absl::Status removed = store_.WithStore([&](Store& s) { return s.DeleteUser(name); });
  store_.RecordAudit(who, "user remove", UserTarget(name), removed);
  return removed;
}

absl::StatusOr<UserRecord> UserDirectory::SetPassword(const std::string& name,
                                                      const std::string& password,
                                                      const std::string& who) {
  RETURN_IF_ERROR(CheckUserName(name));
  absl::StatusOr<UserRecord> changed = [&]() -> absl::StatusOr<UserRecord> {
    RETURN_IF_ERROR(CheckPassword(password));
    ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
    const int64_t now = clock_.WallSeconds();
    // One transaction: whoever knew the old password is signed out everywhere, or the new
    // password is not stored.
    return store_.WithStore([&](Store& s) { return s.ChangePassword(name, hash, now); });
  }();
  store_.RecordAudit(who, "user passwd", UserTarget(name), changed.status());
  return changed;
}

absl::StatusOr<std::vector<UserRecord>> UserDirectory::Users() {
  return store_.WithStore([](Store& s) { return s.Users(); });
}

int64_t UserDirectory::BeginLogin(const std::string& name_key, const std::string& client_key,
                                  bool* audit_it) {
  std::lock_guard<std::mutex> lock(limits_mu_);
  const auto now = clock_.Now();
  const int64_t wait =
      std::max(clients_.RetryAfter(client_key, now), names_.RetryAfter(name_key, now));
  if (wait == 0) {
    // Counted as a failure from here until EndLogin, in the same lock as the check: parallel
    // attempts cannot run more password checks than max_failures per window.
    clients_.BeginAttempt(client_key, now);
    names_.BeginAttempt(name_key, now);
    *audit_it = false;
    return 0;
  }
  // Both are asked (no short-circuit): each notes its own first refusal.
  const bool first_client = clients_.FirstRefusal(client_key, now);
  const bool first_name = names_.FirstRefusal(name_key, now);
  *audit_it = first_client || first_name;
  return wait;
}

void UserDirectory::EndLogin(const std::string& name_key, const std::string& client_key,
                             LoginEnd end) {
  std::lock_guard<std::mutex> lock(limits_mu_);
  const auto now = clock_.Now();
  const bool failed = end == LoginEnd::kWrong;
  clients_.EndAttempt(client_key, failed, now);
  names_.EndAttempt(name_key, failed, now);
  // The client's count stays: one good account must not reset it.
  if (end == LoginEnd::kSignedIn) names_.Forget(name_key);
}

absl::StatusOr<Session> UserDirectory::Login(const std::string& name, const std::string& password,
                                             const std::string& client, int* retry_after_s) {
  const std::string who = WebWho(name);
  const std::string target = absl::StrCat("from ", client);
  const std::string name_key = LoginNameKey(name);
  const std::string client_key = LoginClientKey(client);
  bool audit_refusal = false;
  if (const int64_t wait = BeginLogin(name_key, client_key, &audit_refusal); wait > 0) {
    if (retry_after_s != nullptr) *retry_after_s = static_cast<int>(wait);
    absl::Status refused = absl::ResourceExhaustedError(
        absl::StrCat("too many failed logins from ", client,
                     " or for this user name; try again in ", wait, " s"));
    // One audit entry per lock-out, not one per attempt: refusals cost an attacker nothing,
    // and the audit log must not grow at their pace.
    if (audit_refusal) store_.RecordAudit(who, "web login", target, refused);
    return refused;
  }
  LoginEnd end = LoginEnd::kNotChecked;
  absl::StatusOr<Session> session = CheckLogin(name, password, &end);
  EndLogin(name_key, client_key, end);
  store_.RecordAudit(who, "web login", target, session.status());
  return session;
}

absl::StatusOr<Session> UserDirectory::CheckLogin(const std::string& name,
                                                  const std::string& password, LoginEnd* end) {
  std::optional<UserRecord> user;
  if (CheckUserName(name).ok()) {
    // A store failure is no guess at the password: it is not counted (*end stays kNotChecked).
    ASSIGN_OR_RETURN(user, store_.WithStore([&](Store& s) { return s.User(name); }));
  }
  // Outside the store's lock (argon2id is slow on purpose); the dummy hash for an unknown user.
  const bool match =
      VerifyPassword(password, user.has_value() ? user->password_hash : kDummyHash) &&
      user.has_value();
  if (!match) {
    *end = LoginEnd::kWrong;
    return absl::UnauthenticatedError(kWrongLogin);
  }
  absl::StatusOr<Session> session = StartSession(*user);
  // The password changed while it was checked: as wrong as any other.
  *end = session.ok()                                ? LoginEnd::kSignedIn
         : absl::IsUnauthenticated(session.status()) ? LoginEnd::kWrong
                                                     : LoginEnd::kNotChecked;
  return session;
}

absl::StatusOr<Session> UserDirectory::StartSession(const UserRecord& user) {
  ASSIGN_OR_RETURN(std::string token, NewToken());
  ASSIGN_OR_RETURN(std::string csrf, NewToken());
  const int64_t now = clock_.WallSeconds();
  const int64_t expires_at = now + options_.max_age.count();
  const SessionCleanup cleanup{now, now - options_.max_age.count(),
                               now - options_.idle_timeout.count(), kMaxSessionsPerUser};
  return store_.WithStore([&](Store& s) -> absl::StatusOr<Session> {
    // The password was checked outside the lock: it must still be the user's.
    ASSIGN_OR_RETURN(std::optional<UserRecord> current, s.User(user.name));
    if (!current.has_value() || current->password_hash != user.password_hash) {
      return absl::UnauthenticatedError(kWrongLogin);
    }
    // The user's ended sessions and its oldest beyond kMaxSessionsPerUser go, and every
    // expired one, so the table stays small.
    RETURN_IF_ERROR(
        s.OpenSession(SessionRecord{TokenHash(token), user.name, csrf, now, expires_at, now},
                      cleanup)
            .status());
    return Session{token, csrf, user.name, current->role, expires_at};
  });
}

absl::StatusOr<Session> UserDirectory::Authenticate(const std::string& token, bool touch) {
  if (token.empty()) return absl::UnauthenticatedError("not signed in");
  const std::string hash = TokenHash(token);
  const int64_t now = clock_.WallSeconds();
  // Store failures (Internal, Unavailable, DataLoss) go back unchanged: only a session that is
  // not there or has ended is Unauthenticated, and those messages name no file.
  return store_.WithStore([&](Store& s) -> absl::StatusOr<Session> {
    ASSIGN_OR_RETURN(std::optional<SessionRecord> session, s.Session(hash));
    if (!session.has_value()) {
      return absl::UnauthenticatedError("not signed in, or the session has ended; sign in again");
    }
    ASSIGN_OR_RETURN(std::optional<UserRecord> user, s.User(session->user));
    std::string ended;
    if (now >= session->expires_at || now - session->created_at >= options_.max_age.count()) {
      ended =
          absl::StrCat("the session reached its maximum age of ", options_.max_age.count(), " s");
    } else if (now - session->last_seen > options_.idle_timeout.count()) {
      ended =
          absl::StrCat("the session was idle for more than ", options_.idle_timeout.count(), " s");
    } else if (!user.has_value()) {
      ended = "the user was removed";
    }
    if (!ended.empty()) {
      RETURN_IF_ERROR(s.DeleteSession(hash).status());
      return absl::UnauthenticatedError(absl::StrCat(ended, "; sign in again"));
    }
    // One write per second at most, however many requests a page makes; none for a check
    // that is no activity of the user (live updates, automatic refreshes).
    if (touch && now > session->last_seen) {
      absl::Status touched = s.TouchSession(hash, now);
      // NotFound: the session is no longer there, which is an ended session, not a failure.
      if (absl::IsNotFound(touched)) {
        return absl::UnauthenticatedError("the session has ended; sign in again");
      }
      RETURN_IF_ERROR(touched);
    }
    return Session{token, session->csrf_token, session->user, user->role, session->expires_at};
  });
}

absl::Status UserDirectory::Logout(const std::string& token) {
  if (token.empty()) return absl::UnauthenticatedError("not signed in");
  const std::string hash = TokenHash(token);
  absl::StatusOr<std::string> user = store_.WithStore([&](Store& s) -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(std::optional<SessionRecord> session, s.Session(hash));
    if (!session.has_value()) {
      return absl::UnauthenticatedError("not signed in, or the session has already ended");
    }
    RETURN_IF_ERROR(s.DeleteSession(hash).status());
    return session->user;
  });
  if (!user.ok()) return user.status();
  store_.RecordAudit(absl::StrCat("web:", *user), "web logout", "session", absl::OkStatus());
  return absl::OkStatus();
}

}  // namespace relayguard::controller
