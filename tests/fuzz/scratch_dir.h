// A private folder for fuzz targets whose code under test reads files by path: one per
// process, on tmpfs when there is one (files are written and removed for every input), and
// removed when the process exits normally (libFuzzer's -max_total_time and -runs end so).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace jlrec::fuzz {

class ScratchDir {
 public:
  ScratchDir() {
    std::error_code ec;
    const std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec)
                                           ? std::filesystem::path("/dev/shm")
                                           : std::filesystem::temp_directory_path();
    std::string pattern = (base / "jlrec-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    dir_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  /// The folder's absolute path.
  const std::filesystem::path& path() const { return dir_; }

  /// Writes `content` to `name` (relative; parent folders are made) and returns its path.
  std::string Write(const std::string& name, const std::string& content) const {
    const std::filesystem::path file = dir_ / name;
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    std::ofstream(file, std::ios::binary) << content;
    return file.string();
  }

  /// Removes everything inside the folder (the folder stays).
  void Clear() const {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec))
      std::filesystem::remove_all(entry.path(), ec);
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace jlrec::fuzz
