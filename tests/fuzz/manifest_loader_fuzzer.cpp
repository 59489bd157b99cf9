/// Fuzzes the manifest loader (manifests/manifest_loader.h LoadManifest): YAML -> the desired
/// state, includes and templates included. One input is a set of files:
///
///   <the root manifest, manifest.yaml>
///   #==> NAME
///   <the file NAME, e.g. common.yaml or templates/run.sh.tmpl>
///   #==> ...
///
/// A line "#==> NAME" (a YAML comment, so a seed stays readable YAML) starts the next file;
/// NAME is a relative path of [A-Za-z0-9._-] parts (else the file is dropped). An input that
/// starts with such a line has no root file: its files are loaded as a folder manifest.
///
/// The files are written to a private tmpfs folder and loaded from there, not handed to the
/// loader's in-memory seam (LoadOptions::files): the recorded-inputs property below digests
/// the files again from the disk, as the resolved-manifest cache does.
///
/// Asserts, beyond no crash:
/// - ok() iff no error was reported; positions are never negative;
/// - a loaded state is consistent: each container's spec_digest and script_digest are the
///   digests of its spec and rendered script, and names are unique per host;
/// - the resolved-manifest cache record of the state decodes to the same containers and
///   re-encodes to the same bytes;
/// - the recorded inputs encode and decode losslessly, and digesting them again now (the
///   cache check) gives the digest the load recorded when every file read was the input's.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_check.h"
#include "manifests/manifest_inputs.h"
#include "manifests/manifest_loader.h"
#include "manifests/resolved_manifest_codec.h"
#include "model/digest.h"
#include "scratch_dir.h"

namespace {

constexpr std::string_view kFileMarker = "#==> ";
constexpr const char* kRootName = "manifest.yaml";

const jlrec::fuzz::ScratchDir& Dir() {
  static const jlrec::fuzz::ScratchDir dir;
  return dir;
}

bool SafeName(const std::string& name) {
  if (name.empty() || name.size() > 100 || name.front() == '/' || name.back() == '/') return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t slash = name.find('/', start);
    if (slash == std::string::npos) slash = name.size();
    const std::string part = name.substr(start, slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    for (const char c : part)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
        return false;
    start = slash + 1;
  }
  return true;
}

// The input's files, by name (the first of two with one name wins), and whether it has a
// root file.
std::pair<std::map<std::string, std::string>, bool> SplitFiles(const std::string& input) {
  std::map<std::string, std::string> files;
  const bool has_root = input.rfind(kFileMarker, 0) != 0;
  std::string name = kRootName;
  std::string content;
  bool keep = has_root;
  std::size_t pos = 0;
  auto flush = [&] {
    if (keep) files.emplace(name, std::move(content));
    content.clear();
  };
  while (pos < input.size()) {
    std::size_t eol = input.find('\n', pos);
    const std::size_t next = eol == std::string::npos ? input.size() : eol + 1;
    const std::string_view line(input.data() + pos, next - pos);
    if (line.substr(0, kFileMarker.size()) == kFileMarker) {
      flush();
      std::string_view rest = line.substr(kFileMarker.size());
      if (!rest.empty() && rest.back() == '\n') rest.remove_suffix(1);
      name = std::string(rest);
      keep = SafeName(name);
    } else {
      content.append(line);
    }
    pos = next;
  }
  flush();
  return {std::move(files), has_root};
}

std::optional<std::string> FakeEnv(const std::string& name) {
  static const std::map<std::string, std::string> kEnv = {
      {"HOME", Dir().path().string()}, {"DB_PASSWORD", "s3cret'"}, {"TAG", "1"}, {"EMPTY", ""}};
  auto it = kEnv.find(name);
  if (it == kEnv.end()) return std::nullopt;
  return it->second;
}

void CheckState(const jlrec::DesiredState& state, const std::vector<jlrec::Diagnostic>& diags) {
  std::set<std::string> refs;
  for (const auto& c : state.containers) {
    FUZZ_CHECK(c.spec_digest == jlrec::SpecDigest(c.spec), c.Ref());
    // Loaded without a state key: keyed with this process's key, never a plain sha256.
    FUZZ_CHECK(c.script_digest == jlrec::ScriptDigest("", c.script), c.Ref());
    FUZZ_CHECK(c.script_digest != jlrec::Sha256Hex(c.script), c.Ref());
    FUZZ_CHECK(refs.insert(c.Ref()).second, "two containers " + c.Ref());
  }
  const std::string record = jlrec::EncodeResolvedManifest(state, diags);
  auto cached = jlrec::DecodeResolvedManifest(record);
  FUZZ_CHECK(cached.ok(), cached.status().ToString());
  FUZZ_CHECK(cached->state.containers.size() == state.containers.size(), "containers lost");
  for (std::size_t i = 0; i < state.containers.size(); ++i) {
    const auto& a = state.containers[i];
    const auto& b = cached->state.containers[i];
    FUZZ_CHECK(a.Ref() == b.Ref() && a.spec == b.spec && a.spec_digest == b.spec_digest &&
                   a.script_digest == b.script_digest && a.groups == b.groups &&
                   a.depends_on == b.depends_on && a.secret_env == b.secret_env,
               "the cache changed " + a.Ref());
  }
  FUZZ_CHECK(cached->state.manifest_digest == state.manifest_digest, "digest changed");
  FUZZ_CHECK(jlrec::EncodeResolvedManifest(cached->state, cached->warnings) == record,
             "the cache record encodes two ways");
}

void CheckInputs(const jlrec::ManifestInputs& inputs) {
  auto decoded = jlrec::DecodeManifestInputs(jlrec::EncodeManifestInputs(inputs));
  FUZZ_CHECK(decoded.ok(), decoded.status().ToString());
  FUZZ_CHECK(decoded->cwd == inputs.cwd && decoded->listed_folder == inputs.listed_folder &&
                 decoded->files == inputs.files && decoded->env_names == inputs.env_names,
             "recorded inputs change through their text form");
  const std::string prefix = Dir().path().string() + "/";
  for (const auto& file : inputs.files)
    if (file.rfind(prefix, 0) != 0) return;  // read outside the input (a system file)
  auto now = jlrec::DigestInputs(inputs, FakeEnv);
  FUZZ_CHECK(now.ok(), now.status().ToString());
  FUZZ_CHECK(*now == jlrec::RecordedInputsDigest(inputs), "inputs digest differently now");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [files, has_root] = SplitFiles(std::string(reinterpret_cast<const char*>(data), size));
  const jlrec::fuzz::ScratchDir& dir = Dir();
  dir.Clear();
  for (const auto& [name, content] : files) dir.Write(name, content);

  jlrec::ManifestInputs inputs;
  jlrec::LoadOptions options;
  options.getenv = FakeEnv;
  options.inputs = &inputs;
  const std::string path = has_root ? (dir.path() / kRootName).string() : dir.path().string();
  const jlrec::LoadResult result = jlrec::LoadManifest(path, options);

  FUZZ_CHECK(result.ok() == (result.error_count() == 0), "ok() and the errors disagree");
  for (const auto& d : result.diagnostics) FUZZ_CHECK(d.line >= 0 && d.column >= 0, d.ToString());
  if (!result.ok()) return 0;
  FUZZ_CHECK(!result.state->digests_only, "a fresh load that is digests_only");
  CheckState(*result.state, result.diagnostics);
  CheckInputs(inputs);
  return 0;
}
