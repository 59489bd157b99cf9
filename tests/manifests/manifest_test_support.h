// Shared helpers for the manifest tests: a scratch folder with a template, a fake
// environment, and diagnostics as printable lines.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "manifests/manifest_loader.h"

namespace jlrec::testing {

/// A fresh folder under the temp dir, removed with its content on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  /// Absolute path of `name` inside the folder.
  std::string Path(const std::string& name) const;
  /// Writes `content` to `name` (creating parent folders) and returns its path.
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path dir_;
};

/// The template most tests use (t.tmpl): small, using a builtin and a section.
inline constexpr const char* kTestTemplate =
    "#!/bin/sh\n"
    "echo start {{container}}\n"
    "{{#core}}\n"
    "echo master\n"
    "{{/core}}\n"
    "exec sleep 1000\n";

/// Loads inline manifests from <scratch>/m.yaml with t.tmpl next to it and a fake env.
class ManifestFixture {
 public:
  ManifestFixture();
  /// Loads `yaml` as <scratch>/m.yaml.
  LoadResult Load(const std::string& yaml) const;
  /// The state key loads use (LoadOptions::script_key): fixed, so digests repeat.
  std::string script_key = std::string(32, 'k');
  /// "<scratch>/m.yaml:LINE:COL" (or another file of the scratch folder).
  std::string At(int line, int column, const std::string& file = "m.yaml") const;
  /// The fake environment ${VAR} and HOME are read from.
  std::map<std::string, std::string> env;
  ScratchDir dir;
};

/// Every diagnostic of `result` as "FILE:LINE:COL: severity: message".
std::vector<std::string> Lines(const LoadResult& result);

/// Replaces the first occurrence of `from` in `text` by `to`; fails the test if absent.
void Edit(std::string& text, const std::string& from, const std::string& to);

/// A minimal valid manifest (14 lines) that tests extend or edit; see the .cpp for it.
extern const char* const kMinimalManifest;

/// The container `ref` ("host/name") of a loaded state; fails the test if absent.
const DesiredContainer& Container(const LoadResult& result, const std::string& ref);

}  // namespace jlrec::testing
