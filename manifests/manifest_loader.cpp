#include "manifests/manifest_loader.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "manifests/manifest_parser.h"
#include "manifests/manifest_resolver.h"

namespace jlrec {

namespace {

namespace fs = std::filesystem;

EnvLookup EffectiveLookup(const LoadOptions& options) {
  EnvLookup lookup = options.getenv ? options.getenv : EnvLookup(ProcessEnvLookup);
  if (!options.inputs) return lookup;
  return [lookup, inputs = options.inputs](const std::string& name) {
    std::optional<std::string> value = lookup(name);
    inputs->AddEnv(name, value);
    return value;
  };
}

// One load: the files read so far, what they declared, and whether all of them were YAML.
struct LoadSession {
  DiagnosticSink sink;
  ManifestDecl decl;
  EnvLookup getenv;
  ManifestInputs* inputs = nullptr;
  const SourceFiles* files = &DiskSourceFiles();
  std::string script_key;
  bool all_yaml = true;

  explicit LoadSession(const LoadOptions& options)
      : getenv(EffectiveLookup(options)),
        inputs(options.inputs),
        files(options.files ? options.files : &DiskSourceFiles()),
        script_key(options.script_key) {}

  // A file the manifest names, reported at `cited_at` (the include: entry, or the file
  // itself) when it cannot be used.
  std::optional<std::string> Read(const std::string& path, const SourceLocation& cited_at) {
    Result<std::string> text = files->Read(path);
    if (!text.ok()) {
      sink.Error(cited_at, "cannot read manifest " + text.status().message());
      return std::nullopt;
    }
    if (inputs) inputs->AddFile(path, *text);
    return std::move(*text);
  }

  void Parse(const std::string& yaml, const std::string& path, bool is_root,
             std::vector<Located<std::string>>* includes, bool is_included = false) {
    try {
      all_yaml &= ParseManifestFile(yaml, path, ManifestFileRole{is_root, is_included}, getenv,
                                    &decl, includes, sink);
    } catch (const std::exception& e) {
      sink.Error(SourceLocation{path, 0, 0}, std::string("cannot load the manifest: ") + e.what());
      all_yaml = false;
    }
  }

  // Parses the root document, then the files it includes (each once, never nested).
  void ParseWithIncludes(const std::string& yaml, const std::string& path) {
    std::vector<Located<std::string>> includes;
    Parse(yaml, path, true, &includes);
    std::set<std::string> seen{fs::path(path).lexically_normal().string()};
    for (const auto& include : includes) {
      if (!seen.insert(include.value).second) {
        sink.Error(include.where, "file " + Quoted(include.value) + " is included twice");
        continue;
      }
      if (auto text = Read(include.value, include.where)) {
        Parse(*text, include.value, false, nullptr, /*is_included=*/true);
      }
    }
  }

  // Resolves what was parsed; a file that was not even YAML stops here, since everything
  // it declared is missing and would only produce follow-on errors.
  LoadResult Finish(const std::string& root_file) {
    LoadResult result;
    if (all_yaml) {
      FinishManifestDecl(root_file, &decl, sink);
      auto state = ResolveManifest(decl, sink, inputs, files, script_key);
      if (!sink.has_errors()) result.state = std::move(state);
    }
    result.diagnostics = sink.Take();
    return result;
  }
};

}  // namespace

int LoadResult::error_count() const {
  return static_cast<int>(std::count_if(diagnostics.begin(), diagnostics.end(), [](const auto& d) {
    return d.severity == Diagnostic::Severity::kError;
  }));
}

int LoadResult::warning_count() const {
  return static_cast<int>(diagnostics.size()) - error_count();
}

LoadResult LoadManifestFromString(const std::string& yaml, const std::string& path,
                                  const LoadOptions& options) {
  LoadSession session(options);
  session.decl.path = path;
  session.ParseWithIncludes(yaml, path);
  return session.Finish(path);
}

LoadResult LoadManifest(const std::string& path, const LoadOptions& options) {
  LoadSession session(options);
  session.decl.path = path;
  const SourceLocation whole{path, 0, 0};
  std::error_code ec;
  // Only a relative manifest path makes the load depend on the working directory.
  if (options.inputs && fs::path(path).is_relative())
    options.inputs->cwd = fs::current_path(ec).string();
  if (!fs::is_directory(path, ec)) {
    auto text = session.Read(path, whole);
    if (!text) {
      LoadResult result;
      result.diagnostics = session.sink.Take();
      return result;
    }
    session.ParseWithIncludes(*text, path);
    return session.Finish(path);
  }
  // A folder: every *.yaml / *.yml file in it, in name order, as one manifest.
  auto listing = ListManifestFolder(path);
  if (options.inputs && listing.ok()) options.inputs->SetFolder(path, *listing);
  if (!listing.ok() || listing->empty()) {
    session.sink.Error(whole, !listing.ok() ? listing.status().message()
                                            : "the manifest folder holds no *.yaml or *.yml file");
    LoadResult result;
    result.diagnostics = session.sink.Take();
    return result;
  }
  const std::vector<std::string>& files = *listing;
  for (const auto& file : files) {
    if (auto text = session.Read(file, SourceLocation{file, 0, 0})) {
      session.Parse(*text, file, false, nullptr);
    } else {
      session.all_yaml = false;
    }
  }
  return session.Finish(files.front());
}

int CountUnits(const DesiredState& state) {
  std::set<int> units;
  for (const auto& c : state.containers) units.insert(c.unit_index);
  return static_cast<int>(units.size());
}

}  // namespace jlrec
