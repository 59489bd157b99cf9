#include "manifests/manifest_inputs.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "manifests/source_files.h"
#include "model/digest.h"

namespace jlrec {

namespace {

namespace fs = std::filesystem;

// Bumped when what the digest covers changes meaning.
constexpr const char* kDigestFormat = "jlrec-manifest-inputs/1";

// Length-prefixed, so that no two different input sets serialise alike.
void Field(std::string& out, std::string_view value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += '\n';
}

// The jlrec binary itself (device, inode, size, mtime): a rebuilt or upgraded jlrec may
// resolve the same files differently, so it never trusts a cache written by another build.
std::string BuildIdentity() {
  struct stat st {};
  if (stat("/proc/self/exe", &st) != 0) return "unknown-build";
  return std::to_string(st.st_dev) + "/" + std::to_string(st.st_ino) + "/" +
         std::to_string(st.st_size) + "/" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

void ManifestInputs::AddFile(const std::string& path, const std::string& content) {
  if (std::find(files.begin(), files.end(), path) == files.end()) files.push_back(path);
  seen_file_digests[path] = Sha256Hex(content);
}

void ManifestInputs::AddEnv(const std::string& name, const std::optional<std::string>& value) {
  auto at = std::lower_bound(env_names.begin(), env_names.end(), name);
  if (at == env_names.end() || *at != name) env_names.insert(at, name);
  seen_env[name] = value;
}

void ManifestInputs::SetFolder(const std::string& folder, const std::vector<std::string>& listing) {
  listed_folder = folder;
  seen_listing = listing;
}

namespace {

// The digest of the inputs' names with contents, values and listing from the callbacks.
template <typename FileDigest, typename EnvValue>
Result<std::string> InputsDigest(const ManifestInputs& inputs, const std::string& cwd,
                                 const std::vector<std::string>& listing, FileDigest file_digest,
                                 EnvValue env_value) {
  std::string all;
  Field(all, kDigestFormat);
  Field(all, BuildIdentity());
  Field(all, cwd);
  Field(all, inputs.listed_folder);
  for (const auto& f : listing) Field(all, f);
  for (const auto& path : inputs.files) {
    Result<std::string> digest = file_digest(path);
    if (!digest.ok()) return digest.status();
    Field(all, path);
    Field(all, *digest);
  }
  for (const auto& name : inputs.env_names) {
    std::optional<std::string> value = env_value(name);
    Field(all, name);
    Field(all, value ? "set" : "unset");
    Field(all, value ? *value : "");
  }
  return Sha256Hex(all);
}

}  // namespace

Result<std::vector<std::string>> ListManifestFolder(const std::string& folder) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const auto ext = it->path().extension();
    std::error_code type_ec;
    if ((ext == ".yaml" || ext == ".yml") && it->is_regular_file(type_ec))
      files.push_back(it->path().lexically_normal().string());
  }
  if (ec) return Status::IoError("cannot list manifest folder " + folder + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

Result<std::string> DigestInputs(const ManifestInputs& inputs, const EnvLookup& getenv) {
  std::error_code ec;
  std::string cwd = inputs.cwd.empty() ? "" : std::filesystem::current_path(ec).string();
  std::vector<std::string> listing;
  if (!inputs.listed_folder.empty()) {
    auto listed = ListManifestFolder(inputs.listed_folder);
    if (!listed.ok()) return listed.status();
    listing = std::move(*listed);
  }
  return InputsDigest(
      inputs, cwd, listing,
      [](const std::string& path) -> Result<std::string> {
        Result<std::string> text = ReadSourceFile(path);
        if (!text.ok()) return text.status();
        return Sha256Hex(*text);
      },
      [&](const std::string& name) { return getenv ? getenv(name) : std::nullopt; });
}

std::string RecordedInputsDigest(const ManifestInputs& inputs) {
  auto digest = InputsDigest(
      inputs, inputs.cwd, inputs.seen_listing,
      [&](const std::string& path) -> Result<std::string> {
        auto it = inputs.seen_file_digests.find(path);
        return it == inputs.seen_file_digests.end() ? std::string() : it->second;
      },
      [&](const std::string& name) -> std::optional<std::string> {
        auto it = inputs.seen_env.find(name);
        return it == inputs.seen_env.end() ? std::nullopt : it->second;
      });
  return digest.ok() ? *digest : std::string();
}

std::string EncodeManifestInputs(const ManifestInputs& inputs) {
  std::string out;
  out += "cwd " + inputs.cwd + "\n";
  out += "folder " + inputs.listed_folder + "\n";
  for (const auto& f : inputs.files) out += "file " + f + "\n";
  for (const auto& e : inputs.env_names) out += "env " + e + "\n";
  return out;
}

Result<ManifestInputs> DecodeManifestInputs(const std::string& text) {
  ManifestInputs inputs;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos)
      return Status::InvalidArgument("manifest inputs: last line is not terminated");
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    auto space = line.find(' ');
    if (space == std::string_view::npos)
      return Status::InvalidArgument("manifest inputs: malformed line");
    std::string_view kind = line.substr(0, space);
    std::string value(line.substr(space + 1));
    if (value.find('\0') != std::string::npos)
      return Status::InvalidArgument("manifest inputs: NUL in a path");
    if (kind == "cwd") {
      inputs.cwd = value;
    } else if (kind == "folder") {
      inputs.listed_folder = value;
    } else if (kind == "file") {
      inputs.files.push_back(value);
    } else if (kind == "env") {
      inputs.env_names.push_back(value);
    } else {
      return Status::InvalidArgument("manifest inputs: unknown line kind " + std::string(kind));
    }
  }
  std::sort(inputs.env_names.begin(), inputs.env_names.end());
  inputs.env_names.erase(std::unique(inputs.env_names.begin(), inputs.env_names.end()),
                         inputs.env_names.end());
  return inputs;
}

}  // namespace jlrec
