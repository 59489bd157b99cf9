#include "state/state_key.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "model/digest.h"
#include "state/state_path.h"

namespace jlrec {

namespace {

constexpr std::size_t kKeyBytes = 32;

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// Reads the key at `path`: kNotFound when there is no file.
Result<std::string> ReadKey(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no state key " + path);
    return Status::IoError(Errno("cannot open the state key", path));
  }
  struct stat st {};
  std::string key(kKeyBytes, '\0');
  Status problem = Status::Ok();
  if (::fstat(fd, &st) != 0)
    problem = Status::IoError(Errno("cannot stat the state key", path));
  else if (!S_ISREG(st.st_mode) || st.st_size != static_cast<off_t>(kKeyBytes))
    problem = Status::InvalidArgument("the state key " + path + " is not a regular file of " +
                                      std::to_string(kKeyBytes) + " bytes");
  else if (st.st_mode & S_IRWXO)
    problem = Status::InvalidArgument("the state key " + path +
                                      " may be read or written by anyone: chmod 600 " + path);
  else if (::read(fd, key.data(), key.size()) != static_cast<ssize_t>(key.size()))
    problem = Status::IoError(Errno("cannot read the state key", path));
  ::close(fd);
  if (!problem.ok()) return problem;
  return key;
}

// Writes `key` to `path` unless one is there: it is written and synced under a temporary
// name, then linked into place (link fails when another process won the race).
Status WriteKey(const std::string& path, const std::string& key) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::IoError(Errno("cannot create the state key", tmp));
  bool written =
      ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  const int write_errno = errno;
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    errno = write_errno;
    return Status::IoError(Errno("cannot write the state key", tmp));
  }
  const bool linked = ::link(tmp.c_str(), path.c_str()) == 0;
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (!linked && link_errno != EEXIST) {
    errno = link_errno;
    return Status::IoError(Errno("cannot create the state key", path));
  }
  return Status::Ok();
}

}  // namespace

std::string StateKeyPath(const std::string& state_path) { return state_path + ".key"; }

Result<std::string> LoadStateKeyFile(const std::string& key_path) { return ReadKey(key_path); }

Result<std::string> NewStateKey() {
  std::string key(kKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1)
    return Status::Internal("no random bytes for the state key");
  return key;
}

Result<std::string> SaveStateKeyFile(const std::string& key_path, const std::string& key) {
  if (key.size() != kKeyBytes)
    return Status::InvalidArgument("a state key has " + std::to_string(kKeyBytes) + " bytes");
  // The PostgreSQL key's default home (<manifest dir>/.jlrec/) may not exist yet: no state
  // file was ever made there.
  const std::size_t slash = key_path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    const std::string folder = key_path.substr(0, slash);
    if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST)
      return Status::IoError(Errno("cannot make the folder of the state key", folder));
  }
  if (Status written = WriteKey(key_path, key); !written.ok()) return written;
  return ReadKey(key_path);
}

Status RemoveStateKeyFile(const std::string& key_path, const std::string& key) {
  auto there = ReadKey(key_path);
  if (!there.ok() || *there != key) return Status::Ok();
  if (::unlink(key_path.c_str()) != 0 && errno != ENOENT)
    return Status::IoError(Errno("cannot remove the state key", key_path));
  return Status::Ok();
}

std::string DefaultStateKeyPath(const StateLocation& location, const std::string& manifest_path) {
  if (!location.is_postgres()) return StateKeyPath(location.target);
  // Beside where the SQLite file would be: the checkout's .jlrec folder.
  const std::string sqlite_default = DefaultStatePath(manifest_path);
  return sqlite_default.substr(0, sqlite_default.rfind('/') + 1) + "postgresql-state.key";
}

std::string StateKeyId(const std::string& key) {
  return HmacSha256Hex(key, "jlrec state key id v1").substr(0, 32);
}

}  // namespace jlrec
