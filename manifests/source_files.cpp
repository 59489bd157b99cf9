#include "manifests/source_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "manifests/diagnostic.h"

namespace jlrec {

namespace {

std::string TooLarge(const std::string& path, size_t max_bytes) {
  const bool mib = max_bytes % (size_t{1} << 20) == 0;
  return Quoted(path) + ": larger than " +
         (mib ? std::to_string(max_bytes >> 20) + " MiB" : std::to_string(max_bytes) + " bytes");
}

// What a non-regular file is, for the message.
const char* KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

Status OpenError(const std::string& path, int error) {
  std::string message = Quoted(path) + ": " + std::strerror(error);
  return error == ENOENT || error == ENOTDIR ? Status::NotFound(message) : Status::IoError(message);
}

// Closes the descriptor on every path out.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<std::string> ReadSourceFile(const std::string& path, size_t max_bytes) {
  Descriptor file{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)};
  if (file.fd < 0) return OpenError(path, errno);
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) return OpenError(path, errno);
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(Quoted(path) + ": " + KindOf(st.st_mode) +
                                   ", not a regular file");
  }
  if (static_cast<unsigned long long>(st.st_size) > max_bytes) {
    return Status::InvalidArgument(TooLarge(path, max_bytes));
  }
  // The size is only a hint: the file may grow while it is read, so the limit holds on what
  // is actually read (at most max_bytes + 1 bytes).
  std::string content;
  content.resize(static_cast<size_t>(st.st_size) + 1);
  size_t used = 0;
  for (;;) {
    if (used == content.size()) {
      if (content.size() > max_bytes) return Status::InvalidArgument(TooLarge(path, max_bytes));
      content.resize(std::min(max_bytes + 1, std::max(content.size() * 2, size_t{4096})));
    }
    const ssize_t n = ::read(file.fd, content.data() + used, content.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return OpenError(path, errno);
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  if (used > max_bytes) return Status::InvalidArgument(TooLarge(path, max_bytes));
  content.resize(used);
  return content;
}

const SourceFiles& DiskSourceFiles() {
  struct Disk : SourceFiles {
    Result<std::string> Read(const std::string& path, size_t max_bytes) const override {
      return ReadSourceFile(path, max_bytes);
    }
  };
  static const Disk disk;
  return disk;
}

Result<std::string> InMemorySourceFiles::Read(const std::string& path, size_t max_bytes) const {
  auto it = files.find(path);
  if (it == files.end()) return Status::NotFound(Quoted(path) + ": no such file");
  if (it->second.size() > max_bytes) return Status::InvalidArgument(TooLarge(path, max_bytes));
  return it->second;
}

}  // namespace jlrec
