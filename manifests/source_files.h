// Reading the files a manifest names (the manifest itself, include:, template:, the legacy
// deploy script): the one place that opens them, so that every such file is a regular file
// of bounded size, and so that tests and fuzzers can load a manifest from memory.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "model/status.h"

namespace jlrec {

/// The most bytes jlrec reads from one such file (docs/manifest.md): manifests are written
/// by hand, so anything larger is a mistake or an attack.
inline constexpr size_t kMaxSourceFileBytes = size_t{64} << 20;

/// Where the files a manifest names are read from.
class SourceFiles {
 public:
  virtual ~SourceFiles() = default;
  /// The whole content of `path`. kNotFound when it does not exist; kInvalidArgument when it
  /// is not a regular file (device, FIFO, socket, folder) or holds more than `max_bytes`;
  /// kIoError for any other failure. Every message is "\"PATH\": what is wrong".
  virtual Result<std::string> Read(const std::string& path,
                                   size_t max_bytes = kMaxSourceFileBytes) const = 0;
};

/// Reads `path` from the file system: opened with O_NONBLOCK|O_NOCTTY (a FIFO never blocks
/// the open, a terminal is never taken), refused unless fstat says regular file (a symlink
/// to one is fine), and read only up to `max_bytes` + 1 bytes, so that a file growing while
/// it is read still ends the read. See SourceFiles::Read for the errors.
Result<std::string> ReadSourceFile(const std::string& path, size_t max_bytes = kMaxSourceFileBytes);

/// The file system, through ReadSourceFile.
const SourceFiles& DiskSourceFiles();

/// Files held in memory by exact path (tests, fuzzers); a path not in `files` is kNotFound.
class InMemorySourceFiles : public SourceFiles {
 public:
  std::map<std::string, std::string> files;  ///< path -> content
  Result<std::string> Read(const std::string& path,
                           size_t max_bytes = kMaxSourceFileBytes) const override;
};

}  // namespace jlrec
