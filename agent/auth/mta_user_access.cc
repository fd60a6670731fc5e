// CheckAccess (declared in sasl_backend.h): the kernel's permission decision for another user,
// made from stat() and the user database, without switching users.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "agent/auth/sasl_backend.h"

namespace relayguard::agent {
namespace {

struct UserIds {
  uid_t uid = 0;
  std::vector<gid_t> gids;  // primary first, then the supplementary groups
};

absl::StatusOr<UserIds> LookUpUser(const std::string& name) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "user \"", name, "\" (the MTA's daemon user) does not exist on this host"));
  }
  UserIds ids;
  ids.uid = pw.pw_uid;
  int count = 64;
  std::vector<gid_t> groups(static_cast<size_t>(count));
  if (getgrouplist(name.c_str(), pw.pw_gid, groups.data(), &count) < 0) {
    groups.resize(static_cast<size_t>(count));
    getgrouplist(name.c_str(), pw.pw_gid, groups.data(), &count);
  }
  groups.resize(static_cast<size_t>(count));
  ids.gids.push_back(pw.pw_gid);
  for (gid_t g : groups) {
    if (g != pw.pw_gid) ids.gids.push_back(g);
  }
  return ids;
}

std::string UserName(uid_t uid) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    return pw.pw_name;
  }
  return absl::StrCat(uid);
}

std::string GroupName(gid_t gid) {
  group gr{};
  group* found = nullptr;
  std::vector<char> buf(16384);
  if (getgrgid_r(gid, &gr, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    return gr.gr_name;
  }
  return absl::StrCat(gid);
}

std::string Groups(const UserIds& ids) {
  std::vector<std::string> names;
  for (gid_t g : ids.gids) names.push_back(GroupName(g));
  return absl::StrJoin(names, ",");
}

// The permission bits (rwx as 4/2/1) that apply to `ids` for a file with `st`: the owner's, else
// the group's when the user is in the file's group, else the others'. As in the kernel, the
// classes do not add up: an owner without r cannot read through the group bits.
unsigned ApplicableBits(const struct stat& st, const UserIds& ids) {
  if (st.st_uid == ids.uid) return (st.st_mode >> 6) & 7;
  for (gid_t g : ids.gids) {
    if (g == st.st_gid) return (st.st_mode >> 3) & 7;
  }
  return st.st_mode & 7;
}

std::string Describe(const std::string& path, const struct stat& st) {
  return absl::StrFormat("%s (owner %s:%s, mode %04o)", path, UserName(st.st_uid),
                         GroupName(st.st_gid), st.st_mode & 07777);
}

}  // namespace

absl::Status CheckAccess(const std::string& path, const MtaUser& user, bool want_write) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    const int e = errno;
    std::string why = std::strerror(e);
    why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    const std::string what = absl::StrCat(path, ": ", why);
    if (e == ENOENT || e == ENOTDIR) return absl::NotFoundError(what);
    return absl::FailedPreconditionError(what);
  }
  auto ids = LookUpUser(user.name);
  if (!ids.ok()) return ids.status();
  // root has CAP_DAC_OVERRIDE: the mode bits do not stop it.
  if (ids->uid == 0) return absl::OkStatus();
  const std::string who =
      absl::StrCat("user ", user.name, " (uid ", ids->uid, ", groups ", Groups(*ids), ")");
  // Every directory on the way must be searchable; symbolic links are resolved first, as the
  // kernel does, so the directories checked are those actually walked to the file.
  char resolved[PATH_MAX];
  const std::string real = realpath(path.c_str(), resolved) != nullptr ? resolved : path;
  for (size_t slash = real.find('/', 1); slash != std::string::npos;
       slash = real.find('/', slash + 1)) {
    const std::string dir = real.substr(0, slash);
    struct stat dst {};
    if (stat(dir.c_str(), &dst) != 0) continue;
    if ((ApplicableBits(dst, *ids) & 1) == 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          who, " cannot reach ", path, ": it may not search the directory ", Describe(dir, dst),
          "; give that directory o+x or its group to the user"));
    }
  }
  const unsigned want = want_write ? 2 : 4;
  if ((ApplicableBits(st, *ids) & want) == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        who, " may not ", want_write ? "write to (connect to)" : "read", " ", Describe(path, st),
        "; make the user its owner or put it in the file's group with ",
        want_write ? "g+w" : "g+r"));
  }
  return absl::OkStatus();
}

}  // namespace relayguard::agent
