#include "manifests/state_setting.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "manifests/manifest_inputs.h"
#include "manifests/source_files.h"

namespace jlrec {

namespace {

constexpr const char* kKey = "state";

bool IsBlankOrComment(const std::string& line) {
  const std::size_t first = line.find_first_not_of(" \t\r");
  return first == std::string::npos || line[first] == '#';
}

// A line that starts a top-level `state` key of a block mapping: `state:`, `"state":` or
// `'state':`, at column 0.
bool StartsStateKey(const std::string& line) {
  std::size_t at = 0;
  const bool quoted = !line.empty() && (line[0] == '"' || line[0] == '\'');
  if (quoted) at = 1;
  if (line.compare(at, 5, kKey) != 0) return false;
  at += 5;
  if (quoted) {
    if (at >= line.size() || line[at] != line[0]) return false;
    ++at;
  }
  while (at < line.size() && line[at] == ' ') ++at;
  return at < line.size() && line[at] == ':' &&
         (at + 1 == line.size() || line[at + 1] == ' ' || line[at + 1] == '\t' ||
          line[at + 1] == '\r');
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Checks the `state` node of a parsed mapping; `line_offset` maps the parsed text's lines
// back to the file's.
void Take(const YAML::Node& key, const YAML::Node& value, const std::string& path, int line_offset,
          ManifestStateSetting& out) {
  auto at = [&](const YAML::Node& node, const SourceLocation& fallback) {
    const YAML::Mark mark = node.Mark();
    if (node.IsNull() || mark.is_null()) return fallback;
    return SourceLocation{path, mark.line + 1 + line_offset, mark.column + 1};
  };
  const SourceLocation key_at = at(key, SourceLocation{path, 1 + line_offset, 1});
  const SourceLocation value_at = at(value, key_at);
  auto error = [&](const SourceLocation& where, const std::string& message) {
    out.errors.push_back(
        Diagnostic{Diagnostic::Severity::kError, where.file, where.line, where.column, message});
  };
  if (!value.IsScalar()) {
    error(value_at, std::string("\"state\" must be a string (an SQLite file or a "
                                "postgresql:// URL), got ") +
                        (value.IsMap()        ? "a mapping"
                         : value.IsSequence() ? "a list"
                                              : "nothing"));
    return;
  }
  if (value.Scalar().empty()) {
    error(value_at, "\"state\" is empty");
    return;
  }
  out.value = Located<std::string>{value.Scalar(), value_at};
}

// The whole document's top-level `state`, for what the line scan cannot read alone (a flow
// mapping, an alias). A document that is not YAML yields nothing: the load reports it.
void FromWholeDocument(const std::string& yaml, const std::string& path,
                       ManifestStateSetting& out) {
  try {
    const YAML::Node root = YAML::Load(yaml);
    if (!root.IsMap()) return;
    for (auto it = root.begin(); it != root.end(); ++it) {
      const YAML::Node key = it->first;
      if (key.IsScalar() && key.Scalar() == kKey) {
        Take(key, it->second, path, 0, out);
        return;
      }
    }
  } catch (const std::exception&) {
  }
}

}  // namespace

ManifestStateSetting ReadManifestStateSettingFromString(const std::string& yaml,
                                                        const std::string& path) {
  ManifestStateSetting out;
  // A block mapping's top-level keys start at column 0, so the key is found without parsing
  // the rest of the document (a large manifest stays fast to plan from the cache); only its
  // own lines are parsed.
  const std::vector<std::string> lines = Lines(yaml);
  bool first_content = true;
  std::optional<std::size_t> found;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (IsBlankOrComment(line) || line.rfind("%", 0) == 0 || line.rfind("---", 0) == 0) continue;
    if (first_content) {
      first_content = false;
      const char c = line[line.find_first_not_of(" \t")];
      if (line[0] == ' ' || c == '{' || c == '[' || c == '&' || c == '!') {
        FromWholeDocument(yaml, path, out);  // not a plain block mapping at column 0
        return out;
      }
    }
    if (!StartsStateKey(line)) continue;
    if (found) {
      out.errors.push_back(Diagnostic{Diagnostic::Severity::kError, path, static_cast<int>(i) + 1,
                                      1,
                                      "duplicate key \"state\" in the manifest (first at line " +
                                          std::to_string(*found + 1) + ")"});
      return out;
    }
    found = i;
  }
  if (!found) return out;
  std::string snippet = lines[*found] + "\n";
  for (std::size_t i = *found + 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    // Its value's lines: indented, or a list's `- ` entries (which may start at column 0).
    const bool entry = line[0] == '-' && (line.size() == 1 || line[1] == ' ');
    if (!IsBlankOrComment(line) && line[0] != ' ' && line[0] != '\t' && !entry) break;
    snippet += line + "\n";
  }
  try {
    const YAML::Node root = YAML::Load(snippet);
    if (root.IsMap() && root.size() == 1) {
      const auto it = root.begin();
      Take(it->first, it->second, path, static_cast<int>(*found), out);
      return out;
    }
  } catch (const std::exception&) {
  }
  FromWholeDocument(yaml, path, out);  // e.g. an alias to an anchor elsewhere
  return out;
}

ManifestStateSetting ReadManifestStateSetting(const std::string& manifest_path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(manifest_path, ec)) {
    auto text = DiskSourceFiles().Read(manifest_path);
    if (!text.ok()) return {};
    return ReadManifestStateSettingFromString(*text, manifest_path);
  }
  auto listing = ListManifestFolder(manifest_path);
  if (!listing.ok()) return {};
  ManifestStateSetting out;
  for (const auto& file : *listing) {
    auto text = DiskSourceFiles().Read(file);
    if (!text.ok()) continue;
    ManifestStateSetting one = ReadManifestStateSettingFromString(*text, file);
    out.errors.insert(out.errors.end(), one.errors.begin(), one.errors.end());
    if (!one.value) continue;
    if (out.value) {
      out.errors.push_back(Diagnostic{Diagnostic::Severity::kError, one.value->where.file,
                                      one.value->where.line, one.value->where.column,
                                      "state is already set at " + out.value->where.file + ":" +
                                          std::to_string(out.value->where.line)});
      continue;
    }
    out.value = std::move(one.value);
  }
  if (!out.errors.empty()) out.value.reset();
  return out;
}

}  // namespace jlrec
