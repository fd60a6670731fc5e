#include "controller/auth/user_directory.h"

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
    "$argon2id$v=19$m=19456,t=2,p=1$cmVsYXlndWFyZC1kdW1teQ$NcjYLMh4Cxiz/ogvQeIWZdxGuEnRnE1mlFKp+BDU+J4";

constexpr char kWrongLogin[] = "wrong user name or password";

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
    return store_.WithStore([&](Store& s) -> absl::StatusOr<UserRecord> {
      ASSIGN_OR_RETURN(std::optional<UserRecord> user, s.User(name));
      if (!user.has_value()) {
        return absl::NotFoundError(
            absl::StrCat("there is no user ", name, " — nothing was changed"));
      }
      user->password_hash = hash;
      user->password_changed_at = now;
      RETURN_IF_ERROR(s.UpdateUser(*user));
      // Whoever knew the old password is signed out everywhere.
      RETURN_IF_ERROR(s.DeleteSessionsOf(name).status());
      return *user;
    });
  }();
  store_.RecordAudit(who, "user passwd", UserTarget(name), changed.status());
  return changed;
}

absl::StatusOr<std::vector<UserRecord>> UserDirectory::Users() {
  return store_.WithStore([](Store& s) { return s.Users(); });
}

int64_t UserDirectory::LoginWait(const std::string& name, const std::string& client,
                                 bool* audit_it) {
  std::lock_guard<std::mutex> lock(limits_mu_);
  const auto now = clock_.Now();
  const int64_t wait = std::max(clients_.RetryAfter(client, now), names_.RetryAfter(name, now));
  // Both are asked (no short-circuit): each notes its own first refusal.
  const bool first_client = clients_.FirstRefusal(client, now);
  const bool first_name = names_.FirstRefusal(name, now);
  *audit_it = first_client || first_name;
  return wait;
}

absl::StatusOr<Session> UserDirectory::Login(const std::string& name,
                                             const std::string& password,
                                             const std::string& client, int* retry_after_s) {
  const std::string who = WebWho(name);
  const std::string target = absl::StrCat("from ", client);
  bool audit_refusal = false;
  if (const int64_t wait = LoginWait(name, client, &audit_refusal); wait > 0) {
    if (retry_after_s != nullptr) *retry_after_s = static_cast<int>(wait);
    absl::Status refused = absl::ResourceExhaustedError(absl::StrCat(
        "too many failed logins from ", client, " or for this user name; try again in ", wait,
        " s"));
    // One audit entry per lock-out, not one per attempt: refusals cost an attacker nothing,
    // and the audit log must not grow at their pace.
    if (audit_refusal) store_.RecordAudit(who, "web login", target, refused);
    return refused;
  }

  std::optional<UserRecord> user;
  if (CheckUserName(name).ok()) {
    absl::StatusOr<std::optional<UserRecord>> read =
        store_.WithStore([&](Store& s) { return s.User(name); });
    if (!read.ok()) {
      store_.RecordAudit(who, "web login", target, read.status());
      return read.status();
    }
    user = *std::move(read);
  }
  // Outside the store's lock (argon2id is slow on purpose); the dummy hash for an unknown user.
  const bool match =
      VerifyPassword(password, user.has_value() ? user->password_hash : kDummyHash) &&
      user.has_value();
  if (!match) {
    {
      std::lock_guard<std::mutex> lock(limits_mu_);
      const auto now = clock_.Now();
      clients_.RecordFailure(client, now);
      names_.RecordFailure(name, now);
    }
    absl::Status wrong = absl::UnauthenticatedError(kWrongLogin);
    store_.RecordAudit(who, "web login", target, wrong);
    return wrong;
  }
  absl::StatusOr<Session> session = StartSession(*user);
  if (session.ok()) {
    std::lock_guard<std::mutex> lock(limits_mu_);
    names_.Forget(name);  // the client's count stays: one good account must not reset it
  }
  store_.RecordAudit(who, "web login", target, session.status());
  return session;
}

absl::StatusOr<Session> UserDirectory::StartSession(const UserRecord& user) {
  ASSIGN_OR_RETURN(std::string token, NewToken());
  ASSIGN_OR_RETURN(std::string csrf, NewToken());
  const int64_t now = clock_.WallSeconds();
  const int64_t expires_at = now + options_.max_age.count();
  return store_.WithStore([&](Store& s) -> absl::StatusOr<Session> {
    // The password was checked outside the lock: it must still be the user's.
    ASSIGN_OR_RETURN(std::optional<UserRecord> current, s.User(user.name));
    if (!current.has_value() || current->password_hash != user.password_hash) {
      return absl::UnauthenticatedError(kWrongLogin);
    }
    // Sessions that reached their maximum age go at each login, so the table stays small.
    RETURN_IF_ERROR(s.DeleteExpiredSessions(now).status());
    RETURN_IF_ERROR(
        s.PutSession(SessionRecord{TokenHash(token), user.name, csrf, now, expires_at, now}));
    return Session{token, csrf, user.name, current->role, expires_at};
  });
}

absl::StatusOr<Session> UserDirectory::Authenticate(const std::string& token) {
  if (token.empty()) return absl::UnauthenticatedError("not signed in");
  const std::string hash = TokenHash(token);
  const int64_t now = clock_.WallSeconds();
  return store_.WithStore([&](Store& s) -> absl::StatusOr<Session> {
    ASSIGN_OR_RETURN(std::optional<SessionRecord> session, s.Session(hash));
    if (!session.has_value()) {
      return absl::UnauthenticatedError("not signed in, or the session has ended; sign in again");
    }
    ASSIGN_OR_RETURN(std::optional<UserRecord> user, s.User(session->user));
    std::string ended;
    if (now >= session->expires_at || now - session->created_at >= options_.max_age.count()) {
      ended = absl::StrCat("the session reached its maximum age of ", options_.max_age.count(),
                           " s");
    } else if (now - session->last_seen > options_.idle_timeout.count()) {
      ended = absl::StrCat("the session was idle for more than ", options_.idle_timeout.count(),
                           " s");
    } else if (!user.has_value()) {
      ended = "the user was removed";
    }
    if (!ended.empty()) {
      RETURN_IF_ERROR(s.DeleteSession(hash).status());
      return absl::UnauthenticatedError(absl::StrCat(ended, "; sign in again"));
    }
    // One write per second at most, however many requests a page makes.
    if (now > session->last_seen) RETURN_IF_ERROR(s.TouchSession(hash, now));
    return Session{token, session->csrf_token, session->user, user->role, session->expires_at};
  });
}

absl::Status UserDirectory::Logout(const std::string& token) {
  if (token.empty()) return absl::UnauthenticatedError("not signed in");
  const std::string hash = TokenHash(token);
  absl::StatusOr<std::string> user =
      store_.WithStore([&](Store& s) -> absl::StatusOr<std::string> {
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
