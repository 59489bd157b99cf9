#include "cli/manifest_cache.h"

#include <spdlog/spdlog.h>

#include <ctime>
#include <filesystem>

#include "manifests/resolved_manifest_codec.h"
#include "model/digest.h"

namespace jlrec::cli {

namespace {

// Paths and names go into a line-based record: one holding a newline cannot be cached.
bool Encodable(const ManifestInputs& inputs) {
  auto bad = [](const std::string& s) { return s.find('\n') != std::string::npos; };
  if (bad(inputs.cwd) || bad(inputs.listed_folder)) return false;
  for (const auto& f : inputs.files)
    if (bad(f)) return false;
  for (const auto& e : inputs.env_names)
    if (bad(e)) return false;
  return true;
}

// The record's model blob starts with this and its MAC, then a newline, then the encoded model.
constexpr std::string_view kMacTag = "jlrec-mac1 ";

// The inputs digest as stored: keyed, so the quick "is the record current?" check also tells
// a record written under another key (or by an older jlrec) from a current one.
std::string StoredInputsDigest(const std::string& key, const std::string& inputs_digest) {
  return HmacSha256Hex(key, "inputs " + inputs_digest);
}

// The MAC of everything a record says: which manifest, its inputs and their digest, its model.
std::string RecordMac(const std::string& key, const ResolvedManifestRecord& r,
                      std::string_view model) {
  return HmacSha256Hex(key, "record " + std::to_string(r.manifest.size()) + ":" + r.manifest +
                                std::to_string(r.inputs_digest.size()) + ":" + r.inputs_digest +
                                std::to_string(r.inputs.size()) + ":" + r.inputs +
                                std::string(model));
}

// The encoded model of `r` if its MAC holds under `key`, else nullopt.
std::optional<std::string_view> VerifiedModel(const std::string& key,
                                              const ResolvedManifestRecord& r) {
  std::string_view blob = r.model;
  if (blob.substr(0, kMacTag.size()) != kMacTag) return std::nullopt;
  blob.remove_prefix(kMacTag.size());
  const auto newline = blob.find('\n');
  if (newline == std::string_view::npos) return std::nullopt;
  const std::string_view mac = blob.substr(0, newline);
  const std::string_view model = blob.substr(newline + 1);
  if (!DigestsEqual(mac, RecordMac(key, r, model))) return std::nullopt;
  return model;
}

}  // namespace

std::string ManifestCacheKey(const std::string& manifest_path) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(manifest_path, ec);
  return (ec ? std::filesystem::path(manifest_path) : absolute).lexically_normal().string();
}

std::optional<DesiredState> LoadCachedManifest(const std::string& manifest_path, StateStore& store,
                                               const std::string& state_key, std::ostream& err) {
  const std::string key = ManifestCacheKey(manifest_path);
  auto record = store.LoadResolvedManifest(key);
  if (!record.ok() || !record->has_value()) {
    spdlog::debug("resolved manifest cache: no record for {}{}", key,
                  record.ok() ? "" : " (" + record.status().message() + ")");
    return std::nullopt;
  }
  auto inputs = DecodeManifestInputs((*record)->inputs);
  if (!inputs.ok()) {
    spdlog::debug("resolved manifest cache: {}", inputs.status().message());
    return std::nullopt;
  }
  auto digest = DigestInputs(*inputs, ProcessEnvLookup);
  if (!digest.ok() ||
      !DigestsEqual(StoredInputsDigest(state_key, *digest), (*record)->inputs_digest)) {
    spdlog::debug(
        "resolved manifest cache: inputs of {} changed, or the record is another "
        "key's{}",
        key, digest.ok() ? "" : " (" + digest.status().message() + ")");
    return std::nullopt;
  }
  // Current inputs under this key, so written by a holder of the key: a model that fails its
  // MAC now was altered inside the state file.
  auto verified = VerifiedModel(state_key, **record);
  if (!verified) {
    err << "jlrec: warning: the cached resolution of " << key
        << " in the state file failed its integrity check (altered?); loading the manifest "
           "in full\n";
    // Emptied, so that the full load's SaveManifestCache writes a good record in its place
    // (its quick "already current?" check compares only the inputs digest).
    ResolvedManifestRecord emptied;
    emptied.manifest = key;
    emptied.saved_at = std::time(nullptr);
    if (Status s = store.SaveResolvedManifest(emptied); !s.ok())
      spdlog::debug("resolved manifest cache: {}", s.message());
    return std::nullopt;
  }
  auto model = DecodeResolvedManifest(std::string(*verified));
  if (!model.ok()) {
    spdlog::debug("resolved manifest cache: {}", model.status().message());
    return std::nullopt;
  }
  for (const auto& w : model->warnings) err << w.ToString() << "\n";
  // The record may have been written through another path to the same manifest.
  model->state.manifest_path = manifest_path;
  spdlog::debug("resolved manifest cache: {} unchanged, {} containers", key,
                model->state.containers.size());
  return std::move(model->state);
}

void SaveManifestCache(const std::string& manifest_path, const DesiredState& state,
                       const ManifestInputs& inputs, const std::vector<Diagnostic>& diagnostics,
                       StateStore& store, const std::string& state_key) {
  if (state.digests_only || !Encodable(inputs)) return;
  ResolvedManifestRecord record;
  record.manifest = ManifestCacheKey(manifest_path);
  const std::string inputs_digest = RecordedInputsDigest(inputs);
  if (inputs_digest.empty()) return;
  record.inputs_digest = StoredInputsDigest(state_key, inputs_digest);
  auto current = store.ResolvedManifestDigest(record.manifest);
  if (current.ok() && *current == record.inputs_digest) return;
  record.inputs = EncodeManifestInputs(inputs);
  const std::string model = EncodeResolvedManifest(state, diagnostics);
  record.model = std::string(kMacTag) + RecordMac(state_key, record, model) + "\n" + model;
  record.saved_at = std::time(nullptr);
  Status saved = store.SaveResolvedManifest(record);
  if (!saved.ok()) spdlog::debug("resolved manifest cache not updated: {}", saved.message());
}

}  // namespace jlrec::cli
