#include "cli/manifest_cache.h"

#include <spdlog/spdlog.h>

#include <ctime>
#include <filesystem>

#include "manifests/resolved_manifest_codec.h"

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

}  // namespace

std::string ManifestCacheKey(const std::string& manifest_path) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(manifest_path, ec);
  return (ec ? std::filesystem::path(manifest_path) : absolute).lexically_normal().string();
}

std::optional<DesiredState> LoadCachedManifest(const std::string& manifest_path, StateStore& store,
                                               std::ostream& err) {
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
  if (!digest.ok() || *digest != (*record)->inputs_digest) {
    spdlog::debug("resolved manifest cache: inputs of {} changed{}", key,
                  digest.ok() ? "" : " (" + digest.status().message() + ")");
    return std::nullopt;
  }
  auto model = DecodeResolvedManifest((*record)->model);
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
                       StateStore& store) {
  if (state.digests_only || !Encodable(inputs)) return;
  ResolvedManifestRecord record;
  record.manifest = ManifestCacheKey(manifest_path);
  record.inputs_digest = RecordedInputsDigest(inputs);
  if (record.inputs_digest.empty()) return;
  auto current = store.ResolvedManifestDigest(record.manifest);
  if (current.ok() && *current == record.inputs_digest) return;
  record.inputs = EncodeManifestInputs(inputs);
  record.model = EncodeResolvedManifest(state, diagnostics);
  record.saved_at = std::time(nullptr);
  Status saved = store.SaveResolvedManifest(record);
  if (!saved.ok()) spdlog::debug("resolved manifest cache not updated: {}", saved.message());
}

}  // namespace jlrec::cli
