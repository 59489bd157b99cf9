#include "state/state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace jlrec {

namespace {

std::string Errno(const std::string& what, int err) { return what + ": " + std::strerror(err); }

// mkdir -p with 0700 for the directories it creates; existing ones are left as they are
// (the operator may share a parent such as the manifest's directory on purpose).
Status CreateMissingDirectories(const std::filesystem::path& dir) {
  if (dir.empty()) return Status::Ok();
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return Status::IoError(dir.string() + " exists and is not a directory");
    return Status::Ok();
  }
  if (errno != ENOENT) return Status::IoError(Errno("stat " + dir.string(), errno));
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    Status parent = CreateMissingDirectories(dir.parent_path());
    if (!parent.ok()) return parent;
  }
  // EEXIST: another process created it in between, which is fine.
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Status::IoError(Errno("creating directory " + dir.string(), errno));
  return Status::Ok();
}

Status TightenToOwnerOnly(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::IoError(Errno("stat " + path, errno));
  if (!S_ISREG(st.st_mode)) return Status::IoError(path + " is not a regular file");
  if ((st.st_mode & 077) == 0) return Status::Ok();
  if (::fchmod(fd, st.st_mode & 0700) != 0)
    return Status::IoError(Errno("restricting " + path + " to mode 0600", errno));
  return Status::Ok();
}

// Tightens `path` if it exists; absent is fine (SQLite creates it from the main file's mode).
// By path, never through a new file descriptor: closing any descriptor of a database file
// drops every POSIX lock this process holds on it (SQLite's WAL locks included), after which
// other processes stop seeing this one's commits.
Status TightenIfPresent(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::IoError(Errno("stat " + path, errno));
  }
  if (!S_ISREG(st.st_mode)) return Status::IoError(path + " is not a regular file");
  if ((st.st_mode & 077) == 0) return Status::Ok();
  if (::chmod(path.c_str(), st.st_mode & 0700) != 0)
    return Status::IoError(Errno("restricting " + path + " to mode 0600", errno));
  return Status::Ok();
}

}  // namespace

Status PrepareStateFile(const std::string& path) {
  if (path.empty()) return Status::InvalidArgument("the state file path is empty");
  std::filesystem::path file(path);
  Status dirs = CreateMissingDirectories(file.parent_path());
  if (!dirs.ok()) return dirs.WithContext("preparing the state file " + path);

  // O_CREAT with 0600: the umask can only remove bits, so the file is never looser.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0) return Status::IoError(Errno("opening the state file " + path, errno));
  Status tightened = TightenToOwnerOnly(fd, path);
  ::close(fd);
  if (!tightened.ok()) return tightened;
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    Status companion = TightenIfPresent(path + suffix);
    if (!companion.ok()) return companion;
  }
  return Status::Ok();
}

Status TightenStateFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    Status tightened = TightenIfPresent(path + suffix);
    if (!tightened.ok()) return tightened;
  }
  return Status::Ok();
}

}  // namespace jlrec
