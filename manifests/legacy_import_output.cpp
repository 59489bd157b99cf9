#include "manifests/legacy_import_output.h"

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

// A temporary file beside `path` holding `content`, on disk; returns its name.
Result<std::string> WriteTemporary(const fs::path& path, const std::string& content) {
  const std::string pattern =
      (path.parent_path() / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0) {
    return Status::IoError(path.string() +
                           ": cannot create a temporary file beside it: " + Why(errno));
  }
  // mkstemp makes the file 0600; the manifest and template are ordinary files (0666 - umask).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  int error = ::fchmod(fd, 0666 & ~mask) == 0 ? 0 : errno;
  for (size_t done = 0; error == 0 && done < content.size();) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno != EINTR) error = errno;
    if (n > 0) done += static_cast<size_t>(n);
  }
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) {
    ::unlink(name.data());
    return Status::IoError(path.string() + ": cannot write: " + Why(error));
  }
  return std::string(name.data());
}

// Moves `temporary` to `path`. Without `replace`, link() makes the name appear only if it is
// free, with no window between the check and the move.
Status Publish(const std::string& temporary, const fs::path& path, bool replace) {
  if (!replace) {
    if (::link(temporary.c_str(), path.c_str()) == 0) {
      ::unlink(temporary.c_str());
      return Status::Ok();
    }
    const int error = errno;
    if (error == EEXIST || Occupied(path)) {
      ::unlink(temporary.c_str());
      return Status::Conflict(path.string() + " already exists");
    }
    // A filesystem without hard links: the check above, then a rename.
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return Status::IoError(path.string() + ": cannot write: " + Why(error));
  }
  return Status::Ok();
}

// Makes the renames of `folder` durable (best effort: a folder that cannot be opened only
// loses that guarantee).
void SyncFolder(const fs::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

Status MakeFolder(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) return Status::IoError(folder.string() + ": cannot create the folder: " + ec.message());
  return Status::Ok();
}

// Writes a file at `path`, which must not exist yet (kConflict if it appears meanwhile).
Status WriteNewFile(const fs::path& path, const std::string& content) {
  if (Status s = MakeFolder(path.parent_path()); !s.ok()) return s;
  auto temporary = WriteTemporary(path, content);
  if (!temporary.ok()) return temporary.status();
  Status s = Publish(*temporary, path, false);
  if (s.ok()) SyncFolder(path.parent_path());
  return s;
}

}  // namespace

Result<LegacyImportOutput> WriteLegacyImport(const std::string& manifest_path,
                                             const std::string& manifest,
                                             const std::string& template_path,
                                             const std::string& template_text, bool overwrite) {
  const fs::path manifest_file(manifest_path);
  const fs::path folder =
      manifest_file.parent_path().empty() ? fs::path(".") : manifest_file.parent_path();
  if (!overwrite && Occupied(manifest_file)) {
    return Status::Conflict(manifest_path + " already exists");
  }
  if (Status s = MakeFolder(folder); !s.ok()) return s;
  auto manifest_temporary = WriteTemporary(manifest_file, manifest);
  if (!manifest_temporary.ok()) return manifest_temporary.status();

  const fs::path template_file =
      fs::path(template_path).is_absolute() ? fs::path(template_path) : folder / template_path;
  LegacyImportOutput output;
  output.template_path = template_file.lexically_normal().string();
  if (!Occupied(template_file)) {
    Status s = WriteNewFile(template_file, template_text);
    output.template_written = s.ok();
    // kConflict: a file appeared there meanwhile, and it is the operator's.
    if (!s.ok() && s.code() != Status::Code::kConflict) {
      ::unlink(manifest_temporary->c_str());
      return s;
    }
  }
  if (Status s = Publish(*manifest_temporary, manifest_file, overwrite); !s.ok()) {
    if (output.template_written) ::unlink(template_file.c_str());
    return s;
  }
  SyncFolder(folder);
  return output;
}

}  // namespace jlrec
