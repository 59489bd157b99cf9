#include "manifests/legacy_import_output.h"

#include <unistd.h>

#include <filesystem>

#include "model/atomic_file.h"

namespace jlrec {

namespace {

namespace fs = std::filesystem;

// True when something (even a dangling symlink) is at `path`.
bool Occupied(const fs::path& path) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(path, ec));
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
  auto temporary = WriteTemporaryBeside(path.string(), content);
  if (!temporary.ok()) return temporary.status();
  Status s = MoveIntoPlace(*temporary, path.string(), /*replace=*/false);
  if (s.ok()) SyncFolder(path.parent_path().string());
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
  auto manifest_temporary = WriteTemporaryBeside(manifest_file.string(), manifest);
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
  if (Status s = MoveIntoPlace(*manifest_temporary, manifest_file.string(), overwrite); !s.ok()) {
    if (output.template_written) ::unlink(template_file.c_str());
    return s;
  }
  SyncFolder(folder.string());
  return output;
}

}  // namespace jlrec
