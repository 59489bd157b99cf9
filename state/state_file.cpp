#include "state/state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

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

// The size of `path`, 0 when it does not exist.
off_t SizeOrZero(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

// How long a 0-byte state file may stay so while another process creates it: SQLite writes
// the header as soon as that process switches it to WAL mode, milliseconds after creating it.
constexpr std::chrono::milliseconds kCreationGrace{3000};

// True once `path` or its WAL holds bytes, or `path` is gone (its creator failed and removed
// it), within `grace`.
bool FilledWithin(const std::string& path, std::chrono::milliseconds grace) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (;;) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || st.st_size > 0 || SizeOrZero(path + "-wal") > 0)
      return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

Status PrepareStateFile(const std::string& path, bool* created) {
  if (created != nullptr) *created = false;
  if (path.empty()) return Status::InvalidArgument("the state file path is empty");
  std::filesystem::path file(path);
  Status dirs = CreateMissingDirectories(file.parent_path());
  if (!dirs.ok()) return dirs.WithContext("preparing the state file " + path);

  // O_CREAT with 0600: the umask can only remove bits, so the file is never looser. O_EXCL
  // first, to know whether the file is new.
  const int flags = O_RDWR | O_CLOEXEC | O_NOCTTY;
  int fd = ::open(path.c_str(), flags | O_CREAT | O_EXCL, 0600);
  const bool made = fd >= 0;
  if (!made && errno == EEXIST) fd = ::open(path.c_str(), flags);
  if (fd < 0) return Status::IoError(Errno("opening the state file " + path, errno));
  if (created != nullptr) *created = made;
  Status tightened = TightenToOwnerOnly(fd, path);
  struct stat st {};
  const bool empty = ::fstat(fd, &st) == 0 && st.st_size == 0;
  ::close(fd);
  if (!tightened.ok()) return tightened;
  if (!made && empty && !FilledWithin(path, kCreationGrace)) {
    if (!std::filesystem::exists(path)) return PrepareStateFile(path, created);  // undone: anew
    return Status::IoError("the state file " + path +
                           " is empty (0 bytes): what it held is gone; restore it from a "
                           "backup, or remove it to start afresh (its journal and releases "
                           "are then lost)");
  }
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

void RemoveEmptyStateFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || st.st_size != 0) return;
  for (const char* suffix : {"-wal", "-shm", "-journal", ""}) ::unlink((path + suffix).c_str());
}

}  // namespace jlrec
