#include "agent/backup/git_backup_store.h"

#include <git2.h>
#include <libssh2.h>

#include <cstdio>
#include <mutex>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace relayguard::agent {
namespace {

constexpr char kMetadataPath[] = ".relayguard/files";
constexpr char kTrailerPrefix[] = "Relayguard-";

template <typename T, void (*Free)(T*)>
struct GitDeleter {
  void operator()(T* p) const {
    if (p) Free(p);
  }
};
template <typename T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitDeleter<T, Free>>;

using RepoPtr = GitPtr<git_repository, git_repository_free>;
using IndexPtr = GitPtr<git_index, git_index_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using ObjectPtr = GitPtr<git_object, git_object_free>;
using BlobPtr = GitPtr<git_blob, git_blob_free>;
using SignaturePtr = GitPtr<git_signature, git_signature_free>;
using RevwalkPtr = GitPtr<git_revwalk, git_revwalk_free>;
using TreeEntryPtr = GitPtr<git_tree_entry, git_tree_entry_free>;
using ReferencePtr = GitPtr<git_reference, git_reference_free>;

absl::Status GitError(const std::string& what) {
  const git_error* e = git_error_last();
  return absl::InternalError(
      absl::StrCat(what, ": ", e && e->message ? e->message : "unknown libgit2 error"));
}

void InitLibgit2() {
  static std::once_flag once;
  std::call_once(once, [] {
    // git_libgit2_init() starts libssh2 for ssh:// remotes, and libssh2 would start OpenSSL's
    // ciphers, digests and engines with it: 1.5 MiB of a one-shot agent's 20 MiB peak RSS
    // (bench/apply_bench). The backup repository is local, never fetched or pushed: libssh2 starts
    // first without crypto, so libgit2's libssh2_init() only counts up. (OpenSSL 3 initialises
    // itself on first use should anything ever need it.)
    libssh2_init(LIBSSH2_INIT_NO_CRYPTO);
    git_libgit2_init();
  });
}

std::string RepoPath(const std::string& absolute) {
  return absolute.empty() || absolute[0] != '/' ? absolute : absolute.substr(1);
}

std::string Metadata(const std::vector<FileSnapshot>& files) {
  std::string out;
  for (const FileSnapshot& f : files) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(f.info.mode & 07777));
    absl::StrAppend(&out, mode, " ", f.info.uid, " ", f.info.gid, " ",
                    f.present ? "present" : "absent", " ", f.path, "\n");
  }
  return out;
}

// "0640 0:107", or with " (absent)" for a file that did not exist.
std::string MetadataNote(const FileSnapshot& f) {
  char mode[8];
  std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(f.info.mode & 07777));
  return absl::StrCat(mode, " ", f.info.uid, ":", f.info.gid, f.present ? "" : " (absent)");
}

}  // namespace

struct GitBackupStore::Impl {
  RepoPtr repo;
  std::string dir;

  absl::StatusOr<CommitPtr> LookupCommit(const std::string& revision) {
    git_object* obj = nullptr;
    // A reference ("HEAD", a branch) is resolved here, where it is ours to free: libgit2 1.5's
    // git_revparse_single leaks the reference when the object it names is missing (found by
    // LeakSanitizer in GitBackupStoreTest.AMissingObjectIsAnErrorNamingTheRepository). Commit
    // ids and expressions go through git_revparse_single.
    git_reference* raw_ref = nullptr;
    int error = 0;
    if (git_reference_dwim(&raw_ref, repo.get(), revision.c_str()) == 0) {
      ReferencePtr ref(raw_ref);
      error = git_reference_peel(&obj, ref.get(), GIT_OBJECT_ANY);
    } else {
      error = git_revparse_single(&obj, repo.get(), revision.c_str());
    }
    if (error != 0) {
      return absl::NotFoundError(absl::StrCat("no backup commit \"", revision, "\" in ", dir));
    }
    ObjectPtr object(obj);
    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, object.get(), GIT_OBJECT_COMMIT) != 0) {
      return absl::NotFoundError(absl::StrCat("\"", revision, "\" is not a commit in ", dir));
    }
    return CommitPtr(reinterpret_cast<git_commit*>(peeled));
  }

  absl::StatusOr<std::string> ReadBlob(git_tree* tree, const std::string& path) {
    git_tree_entry* raw = nullptr;
    if (git_tree_entry_bypath(&raw, tree, path.c_str()) != 0) {
      return absl::NotFoundError(absl::StrCat(path, " is not in the commit"));
    }
    TreeEntryPtr entry(raw);
    git_blob* blob = nullptr;
    if (git_blob_lookup(&blob, repo.get(), git_tree_entry_id(entry.get())) != 0) {
      return GitError(absl::StrCat("cannot read ", path, " from the backup repository ", dir));
    }
    BlobPtr b(blob);
    return std::string(static_cast<const char*>(git_blob_rawcontent(b.get())),
                       static_cast<size_t>(git_blob_rawsize(b.get())));
  }

  absl::StatusOr<std::vector<FileSnapshot>> ReadTree(git_commit* commit) {
    git_tree* raw = nullptr;
    if (git_commit_tree(&raw, commit) != 0) return GitError("cannot read commit tree");
    TreePtr tree(raw);
    ASSIGN_OR_RETURN(std::string metadata, ReadBlob(tree.get(), kMetadataPath));
    std::vector<FileSnapshot> files;
    for (absl::string_view line : absl::StrSplit(metadata, '\n', absl::SkipEmpty())) {
      std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(' ', 4));
      FileSnapshot f;
      unsigned mode = 0;
      if (parts.size() != 5 || std::sscanf(parts[0].c_str(), "%o", &mode) != 1 ||
          !absl::SimpleAtoi(parts[1], &f.info.uid) || !absl::SimpleAtoi(parts[2], &f.info.gid)) {
        return absl::DataLossError(absl::StrCat("bad line in ", kMetadataPath, ": ", line));
      }
      f.info.mode = static_cast<mode_t>(mode);
      f.info.is_regular = true;
      f.present = parts[3] == "present";
      f.path = parts[4];
      if (f.present) {
        ASSIGN_OR_RETURN(f.contents, ReadBlob(tree.get(), RepoPath(f.path)));
      }
      files.push_back(std::move(f));
    }
    return files;
  }
};

GitBackupStore::GitBackupStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GitBackupStore::~GitBackupStore() = default;

absl::StatusOr<std::unique_ptr<GitBackupStore>> GitBackupStore::Open(const std::string& repo_dir) {
  InitLibgit2();
  auto impl = std::make_unique<Impl>();
  impl->dir = repo_dir;
  git_repository* repo = nullptr;
  int rc = git_repository_open(&repo, repo_dir.c_str());
  if (rc != 0 && rc != GIT_ENOTFOUND) {
    return GitError("cannot open backup repository " + repo_dir);
  }
  if (rc == GIT_ENOTFOUND) {
    git_repository_init_options options;
    git_repository_init_options_init(&options, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    options.flags = GIT_REPOSITORY_INIT_MKPATH;
    options.initial_head = "main";
    options.description = "relayguard backups of managed MTA configuration files";
    if (git_repository_init_ext(&repo, repo_dir.c_str(), &options) != 0) {
      return GitError("cannot create backup repository " + repo_dir);
    }
  }
  impl->repo.reset(repo);
  return std::unique_ptr<GitBackupStore>(new GitBackupStore(std::move(impl)));
}

absl::StatusOr<std::string> GitBackupStore::Commit(
    const std::vector<FileSnapshot>& files, const std::string& summary,
    const std::map<std::string, std::string>& trailers) {
  if (summary.empty() || summary.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError("a backup commit summary must be one non-empty line");
  }
  std::set<std::string> paths;
  for (const FileSnapshot& f : files) {
    if (f.path.size() < 2 || f.path[0] != '/' || f.path.find('\n') != std::string::npos ||
        RepoPath(f.path) == kMetadataPath || !paths.insert(f.path).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot back up \"", f.path, "\": need distinct absolute paths on one line each"));
    }
  }
  std::string message = summary + (trailers.empty() ? "\n" : "\n\n");
  for (const auto& [key, value] : trailers) {
    if (value.find_first_of("\r\n") != std::string::npos ||
        key.find_first_of(" :\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("commit trailer ", key, " must be a single line"));
    }
    absl::StrAppend(&message, kTrailerPrefix, key, ": ", value, "\n");
  }
  git_index* raw_index = nullptr;
  if (git_index_new(&raw_index) != 0) return GitError("cannot create an index");
  IndexPtr index(raw_index);
  auto add = [&](const std::string& path, const std::string& contents) -> absl::Status {
    git_index_entry entry{};
    entry.mode = GIT_FILEMODE_BLOB;
    entry.path = path.c_str();
    if (git_blob_create_from_buffer(&entry.id, impl_->repo.get(), contents.data(),
                                    contents.size()) != 0 ||
        git_index_add(index.get(), &entry) != 0) {
      return GitError(absl::StrCat("cannot add ", path, " to the backup in ", impl_->dir));
    }
    return absl::OkStatus();
  };
  for (const FileSnapshot& f : files) {
    if (f.present) RETURN_IF_ERROR(add(RepoPath(f.path), f.contents));
  }
  RETURN_IF_ERROR(add(kMetadataPath, Metadata(files)));
  git_oid tree_id;
  if (git_index_write_tree_to(&tree_id, index.get(), impl_->repo.get()) != 0) {
    return GitError("cannot write the backup tree in " + impl_->dir);
  }
  git_tree* raw_tree = nullptr;
  if (git_tree_lookup(&raw_tree, impl_->repo.get(), &tree_id) != 0) {
    return GitError("cannot read the backup tree");
  }
  TreePtr tree(raw_tree);
  git_signature* raw_sig = nullptr;
  if (git_signature_now(&raw_sig, "relayguard", "relayguard@localhost") != 0) {
    return GitError("cannot create a signature");
  }
  SignaturePtr sig(raw_sig);
  CommitPtr parent;
  int unborn = git_repository_head_unborn(impl_->repo.get());
  if (unborn < 0) return GitError("cannot read HEAD of " + impl_->dir);
  if (unborn == 0) {
    // A HEAD we cannot read must not silently start a new, parentless history.
    absl::StatusOr<CommitPtr> head = impl_->LookupCommit("HEAD");
    if (!head.ok()) {
      return absl::DataLossError(absl::StrCat(
          "the backup repository ", impl_->dir, " is damaged: its newest commit (HEAD) cannot be "
          "read (", git_error_last() && git_error_last()->message ? git_error_last()->message
                                                                  : "unknown libgit2 error",
          "); check it with `git -C ", impl_->dir, " fsck`"));
    }
    parent = std::move(*head);
  }
  const git_commit* parents[1] = {parent.get()};
  git_oid commit_id;
  if (git_commit_create(&commit_id, impl_->repo.get(), "HEAD", sig.get(), sig.get(), nullptr,
                        message.c_str(), tree.get(), parent ? 1 : 0, parents) != 0) {
    return GitError("cannot commit the backup in " + impl_->dir);
  }
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof(hex), &commit_id);
  return std::string(hex);
}

absl::StatusOr<std::vector<FileSnapshot>> GitBackupStore::ReadCommit(const std::string& revision) {
  ASSIGN_OR_RETURN(CommitPtr commit, impl_->LookupCommit(revision));
  return impl_->ReadTree(commit.get());
}

absl::StatusOr<std::string> GitBackupStore::Resolve(const std::string& revision) {
  ASSIGN_OR_RETURN(CommitPtr commit, impl_->LookupCommit(revision));
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof(hex), git_commit_id(commit.get()));
  return std::string(hex);
}

absl::StatusOr<std::vector<CommitInfo>> GitBackupStore::History(size_t limit) {
  std::vector<CommitInfo> out;
  if (git_repository_head_unborn(impl_->repo.get()) == 1) return out;
  git_revwalk* raw = nullptr;
  if (git_revwalk_new(&raw, impl_->repo.get()) != 0) return GitError("cannot walk history");
  RevwalkPtr walk(raw);
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
  if (git_revwalk_push_head(walk.get()) != 0) {
    return GitError("cannot walk the history of the backup repository " + impl_->dir);
  }
  git_oid oid;
  int rc = 0;
  while (out.size() < limit && (rc = git_revwalk_next(&oid, walk.get())) == 0) {
    git_commit* c = nullptr;
    if (git_commit_lookup(&c, impl_->repo.get(), &oid) != 0) {
      return GitError(absl::StrCat("cannot read commit ", git_oid_tostr_s(&oid),
                                   " of the backup repository ", impl_->dir));
    }
    CommitPtr commit(c);
    CommitInfo info;
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof(hex), &oid);
    info.id = hex;
    info.message = git_commit_message(commit.get());
    info.summary = git_commit_summary(commit.get()) ? git_commit_summary(commit.get()) : "";
    info.time = git_commit_time(commit.get());
    // Trailers live in the last paragraph, never in the summary.
    absl::string_view body = absl::StripTrailingAsciiWhitespace(info.message);
    size_t paragraph = body.rfind("\n\n");
    body = paragraph == absl::string_view::npos ? "" : body.substr(paragraph + 2);
    for (absl::string_view line : absl::StrSplit(body, '\n')) {
      if (!absl::ConsumePrefix(&line, kTrailerPrefix)) continue;
      size_t colon = line.find(": ");
      if (colon == absl::string_view::npos) continue;
      info.trailers[std::string(line.substr(0, colon))] = std::string(line.substr(colon + 2));
    }
    out.push_back(std::move(info));
  }
  // A commit that cannot be read ends the walk early: an error, never a shorter history.
  if (rc != 0 && rc != GIT_ITEROVER) {
    return GitError("cannot walk the history of the backup repository " + impl_->dir);
  }
  return out;
}

absl::StatusOr<std::string> GitBackupStore::DiffWithParent(const std::string& revision) {
  ASSIGN_OR_RETURN(CommitPtr commit, impl_->LookupCommit(revision));
  ASSIGN_OR_RETURN(std::vector<FileSnapshot> now, impl_->ReadTree(commit.get()));
  std::vector<FileSnapshot> before;
  if (git_commit_parentcount(commit.get()) > 0) {
    git_commit* p = nullptr;
    if (git_commit_parent(&p, commit.get(), 0) != 0) return GitError("cannot read parent");
    CommitPtr parent(p);
    ASSIGN_OR_RETURN(before, impl_->ReadTree(parent.get()));
  }
  std::map<std::string, const FileSnapshot*> old_files;
  for (const FileSnapshot& f : before) old_files[f.path] = &f;
  std::string out;
  for (const FileSnapshot& f : now) {
    auto it = old_files.find(f.path);
    const FileSnapshot* old = it == old_files.end() ? nullptr : it->second;
    std::string old_text = old && old->present ? old->contents : "";
    absl::StrAppend(&out, UnifiedDiff(f.path, old_text, f.present ? f.contents : ""));
    if (old && MetadataNote(*old) != MetadataNote(f)) {
      absl::StrAppend(&out, "# ", f.path, ": ", MetadataNote(*old), " -> ", MetadataNote(f), "\n");
    }
    if (old) old_files.erase(it);
  }
  // Files the parent managed and this commit no longer does.
  for (const auto& [path, old] : old_files) {
    absl::StrAppend(&out, UnifiedDiff(path, old->present ? old->contents : "", ""));
    absl::StrAppend(&out, "# ", path, ": ", MetadataNote(*old), " -> not managed\n");
  }
  return out;
}

}  // namespace relayguard::agent
