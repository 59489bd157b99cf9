#include "providers/tar_archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

namespace jlrec {

namespace {

struct ArchiveWriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct ArchiveReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

la_ssize_t AppendToString(archive*, void* client_data, const void* buffer, size_t length) {
  static_cast<std::string*>(client_data)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

std::string ArchiveError(archive* a) {
  const char* msg = archive_error_string(a);
  return msg != nullptr ? msg : "unknown libarchive error";
}

Status CheckMemberName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("tar member name is empty");
  if (name.front() == '/') return Status::InvalidArgument("tar member name must be relative");
  if (name.find('\0') != std::string_view::npos)
    return Status::InvalidArgument("tar member name contains NUL");
  std::string_view rest = name;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    auto part = rest.substr(0, slash);
    if (part == "..") return Status::InvalidArgument("tar member name contains '..'");
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> WriteSingleFileTar(std::string_view name, std::string_view content, int mode,
                                       std::int64_t mtime) {
  if (Status st = CheckMemberName(name); !st.ok()) return st;
  if (mode < 0 || mode > 07777)
    return Status::InvalidArgument("file mode " + std::to_string(mode) + " is not in 0..07777");

  std::string out;
  std::unique_ptr<archive, ArchiveWriteFree> a(archive_write_new());
  std::unique_ptr<archive_entry, EntryFree> entry(archive_entry_new());
  if (!a || !entry) return Status::Internal("libarchive: out of memory");
  // pax_restricted writes plain ustar headers and adds a pax extended header only for
  // what ustar cannot hold (names over 100 bytes, large sizes), which Docker reads.
  if (archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a.get(), 1) != ARCHIVE_OK ||
      archive_write_open(a.get(), &out, nullptr, AppendToString, nullptr) != ARCHIVE_OK)
    return Status::Internal("libarchive: " + ArchiveError(a.get()));

  archive_entry_set_pathname(entry.get(), std::string(name).c_str());
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), static_cast<mode_t>(mode));
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(content.size()));
  archive_entry_set_uid(entry.get(), 0);
  archive_entry_set_gid(entry.get(), 0);
  archive_entry_set_uname(entry.get(), "root");
  archive_entry_set_gname(entry.get(), "root");
  archive_entry_set_mtime(entry.get(), static_cast<time_t>(mtime), 0);
  if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK)
    return Status::Internal("libarchive: " + ArchiveError(a.get()));
  std::size_t written = 0;
  while (written < content.size()) {
    la_ssize_t n = archive_write_data(a.get(), content.data() + written, content.size() - written);
    if (n <= 0) return Status::Internal("libarchive: " + ArchiveError(a.get()));
    written += static_cast<std::size_t>(n);
  }
  if (archive_write_finish_entry(a.get()) != ARCHIVE_OK ||
      archive_write_close(a.get()) != ARCHIVE_OK)
    return Status::Internal("libarchive: " + ArchiveError(a.get()));
  return out;
}

Result<std::vector<TarEntry>> ReadTar(std::string_view tar, std::size_t max_content_bytes) {
  std::unique_ptr<archive, ArchiveReadFree> a(archive_read_new());
  if (!a) return Status::Internal("libarchive: out of memory");
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), tar.data(), tar.size()) != ARCHIVE_OK)
    return Status::RemoteError("not a tar archive: " + ArchiveError(a.get()));

  std::vector<TarEntry> entries;
  std::size_t total = 0;
  for (;;) {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
      return Status::RemoteError("bad tar archive: " + ArchiveError(a.get()));
    TarEntry entry;
    const char* path = archive_entry_pathname(e);
    entry.path = path != nullptr ? path : "";
    entry.mode = static_cast<int>(archive_entry_perm(e) & 07777);
    entry.mtime = static_cast<std::int64_t>(archive_entry_mtime(e));
    switch (archive_entry_filetype(e)) {
      case AE_IFREG:
        entry.type = TarEntry::Type::kRegular;
        break;
      case AE_IFDIR:
        entry.type = TarEntry::Type::kDirectory;
        break;
      case AE_IFLNK: {
        entry.type = TarEntry::Type::kSymlink;
        const char* target = archive_entry_symlink(e);
        entry.link_target = target != nullptr ? target : "";
        break;
      }
      default:
        entry.type = TarEntry::Type::kOther;
        break;
    }
    if (entry.type == TarEntry::Type::kRegular) {
      char buffer[16 * 1024];
      for (;;) {
        la_ssize_t n = archive_read_data(a.get(), buffer, sizeof buffer);
        if (n < 0) return Status::RemoteError("bad tar archive: " + ArchiveError(a.get()));
        if (n == 0) break;
        total += static_cast<std::size_t>(n);
        if (total > max_content_bytes)
          return Status::RemoteError("tar archive holds more than " +
                                     std::to_string(max_content_bytes) + " bytes");
        entry.content.append(buffer, static_cast<std::size_t>(n));
      }
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace jlrec
