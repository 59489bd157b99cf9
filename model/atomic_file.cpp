#include "model/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace jlrec {
namespace {

namespace fs = std::filesystem;

std::string Why(int error) { return std::strerror(error); }

// True when something (even a dangling symlink) is at `path`.
bool Occupied(const fs::path& path) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(path, ec));
}

std::string FolderOf(const std::string& path) {
  const fs::path folder = fs::path(path).parent_path();
  return folder.empty() ? "." : folder.string();
}

}  // namespace

Result<std::string> WriteTemporaryBeside(const std::string& path, const std::string& content,
                                         std::optional<mode_t> mode) {
  const fs::path file(path);
  const std::string pattern =
      (file.parent_path() / ("." + file.filename().string() + ".tmp-XXXXXX")).string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0)
    return Status::IoError(path + ": cannot create a temporary file beside it: " + Why(errno));
  // mkstemp makes the file 0600; an ordinary new file is 0666 less the umask.
  if (!mode) {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  int error = ::fchmod(fd, *mode) == 0 ? 0 : errno;
  for (size_t done = 0; error == 0 && done < content.size();) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno != EINTR) error = errno;
    if (n > 0) done += static_cast<size_t>(n);
  }
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) {
    ::unlink(name.data());
    return Status::IoError(path + ": cannot write: " + Why(error));
  }
  return std::string(name.data());
}

Status MoveIntoPlace(const std::string& temporary, const std::string& path, bool replace) {
  if (!replace) {
    if (::link(temporary.c_str(), path.c_str()) == 0) {
      ::unlink(temporary.c_str());
      return Status::Ok();
    }
    const int error = errno;
    if (error == EEXIST || Occupied(path)) {
      ::unlink(temporary.c_str());
      return Status::Conflict(path + " already exists");
    }
    // A filesystem without hard links: the check above, then a rename.
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return Status::IoError(path + ": cannot write: " + Why(error));
  }
  return Status::Ok();
}

void SyncFolder(const std::string& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

Status WriteFileAtomically(const std::string& path, const std::string& content,
                           std::optional<mode_t> mode) {
  auto temporary = WriteTemporaryBeside(path, content, mode);
  if (!temporary.ok()) return temporary.status();
  if (Status s = MoveIntoPlace(*temporary, path, /*replace=*/true); !s.ok()) return s;
  SyncFolder(FolderOf(path));
  return Status::Ok();
}

}  // namespace jlrec
