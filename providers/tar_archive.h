// In-memory tar archives, the format of Docker's container archive API (PUT/GET
// /containers/{id}/archive). Built on libarchive: ustar, with pax extensions only when a
// name or size does not fit ustar.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/status.h"

namespace jlrec {

/// One member of a tar archive.
struct TarEntry {
  /// What kind of file the member is.
  enum class Type { kRegular, kDirectory, kSymlink, kOther };
  std::string path;  ///< member name as stored (relative, "/" separated)
  Type type = Type::kOther;
  int mode = 0;             ///< permission bits (07777 mask)
  std::int64_t mtime = 0;   ///< modification time (unix seconds)
  std::string content;      ///< regular files only
  std::string link_target;  ///< symlinks only
};

/// A tar archive holding one regular file `name` (relative path, no ".." component) with
/// `content`, permission bits `mode` (0..07777), owner root:root and modification time
/// `mtime` (unix seconds). kInvalidArgument for a bad name or mode.
Result<std::string> WriteSingleFileTar(std::string_view name, std::string_view content, int mode,
                                       std::int64_t mtime);

/// Every member of tar archive `tar`. kRemoteError if it is not a valid tar or its
/// regular files hold more than `max_content_bytes` in total.
Result<std::vector<TarEntry>> ReadTar(std::string_view tar,
                                      std::size_t max_content_bytes = 64 * 1024 * 1024);

}  // namespace jlrec
