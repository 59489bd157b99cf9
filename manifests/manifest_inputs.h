// What a manifest load read from outside its YAML text, so that a later run can tell,
// cheaply, whether loading it again would give the same desired state (the resolved
// manifest cache: manifests/resolved_manifest_codec.h).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "manifests/env_expansion.h"
#include "model/status.h"

namespace jlrec {

/// The inputs of one manifest load: every file it read and every environment variable it
/// looked up. Only paths and names are encoded; what the load saw of them (contents,
/// values, listing) is kept in memory for RecordedInputsDigest and never stored.
struct ManifestInputs {
  std::string cwd;  ///< working directory, when the manifest path was relative ("" otherwise)
  std::string listed_folder;           ///< the manifest folder whose *.yaml listing was used
  std::vector<std::string> files;      ///< manifest files, includes, templates (read order)
  std::vector<std::string> env_names;  ///< environment variables looked up (sorted, unique)

  /// Records that the load read `content` from `path`.
  void AddFile(const std::string& path, const std::string& content);
  /// Records that the load looked up `name` and got `value`.
  void AddEnv(const std::string& name, const std::optional<std::string>& value);
  /// Records the listing of `folder` the load used.
  void SetFolder(const std::string& folder, const std::vector<std::string>& listing);

  // What the load saw (in memory only).
  std::map<std::string, std::string> seen_file_digests;        ///< path -> sha256
  std::map<std::string, std::optional<std::string>> seen_env;  ///< name -> value
  std::vector<std::string> seen_listing;                       ///< folder's files
};

/// sha256 over the jlrec build that resolves manifests, the current working directory (if
/// `inputs.cwd` is set), the
/// folder listing, every file's content and every variable's value (set or not) as they
/// are NOW. Equal to the RecordedInputsDigest of an earlier load iff loading again would read
/// the same bytes. The ReadSourceFile error when a file can no longer be read (or is no
/// longer a regular file of at most 64 MiB).
Result<std::string> DigestInputs(const ManifestInputs& inputs, const EnvLookup& getenv);

/// The same digest over what the load itself saw (its seen_* records), so that a file edited
/// while the load ran can never be paired with the model of its older content.
std::string RecordedInputsDigest(const ManifestInputs& inputs);

/// A line-based text form of `inputs` (paths and names hold no newlines or NULs; anything
/// else is refused by DecodeManifestInputs).
std::string EncodeManifestInputs(const ManifestInputs& inputs);
/// Parses EncodeManifestInputs output; kInvalidArgument on anything else.
Result<ManifestInputs> DecodeManifestInputs(const std::string& text);

/// The *.yaml / *.yml regular files of `folder`, sorted: the files a folder manifest is made
/// of. kIoError when the folder cannot be listed.
Result<std::vector<std::string>> ListManifestFolder(const std::string& folder);

}  // namespace jlrec
