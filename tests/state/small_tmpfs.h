// A tiny tmpfs mounted for one test, to fill a disk for real (header-only: the engine's tests
// use it too).
#pragma once

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace jlrec::test {

/// A tmpfs of `bytes` mounted on a fresh directory under /tmp; unmounted and removed on
/// destruction (a failed test included). Mounting needs root: check mounted() first.
class SmallTmpfs {
 public:
  explicit SmallTmpfs(std::size_t bytes) {
    char pattern[] = "/tmp/jlrec-tmpfs-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) return;
    path_ = pattern;
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
    if (::mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0)
      mounted_ = true;
    else
      why_ = std::strerror(errno);
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    if (!path_.empty()) ::rmdir(path_.c_str());
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;

  /// True when the tmpfs is mounted; else why_not() says why.
  bool mounted() const { return mounted_; }
  /// Why mounting failed.
  const std::string& why_not() const { return why_; }
  /// `name` inside the mount.
  std::string File(const std::string& name) const { return path_ + "/" + name; }

  /// Writes a filler file until the file system is full; returns the bytes written.
  std::size_t Fill() const {
    const std::string filler = File("filler." + std::to_string(fills_++));
    int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return 0;
    const std::string block(4096, 'f');
    std::size_t written = 0;
    for (;;) {
      ssize_t n = ::write(fd, block.data(), block.size());
      if (n <= 0) break;
      written += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return written;
  }

  /// Removes the filler files, making the space free again.
  void Free() const {
    for (int i = 0; i < fills_; ++i) ::unlink(File("filler." + std::to_string(i)).c_str());
  }

 private:
  std::string path_;
  std::string why_;
  bool mounted_ = false;
  mutable int fills_ = 0;
};

/// True when `disk` is mounted; else warns that the test does not run here (mounting needs
/// root) and is false: `if (!MountedOrWarn(disk)) return;`.
inline bool MountedOrWarn(const SmallTmpfs& disk) {
  if (disk.mounted()) return true;
  WARN("cannot mount a tmpfs here (" << disk.why_not() << "): full-disk test not run");
  return false;
}

}  // namespace jlrec::test
