#include "cli/state_choice.h"

#include <cstdlib>
#include <filesystem>

#include "manifests/state_setting.h"
#include "state/state_key.h"
#include "state/state_path.h"

namespace jlrec::cli {

namespace {

std::string FromEnv(const GetenvFn& getenv, const std::string& name) {
  if (getenv) return getenv(name).value_or("");
  const char* value = std::getenv(name.c_str());
  return value ? value : "";
}

std::string AtPosition(const SourceLocation& where, const std::string& message) {
  return Diagnostic{Diagnostic::Severity::kError, where.file, where.line, where.column, message}
      .ToString();
}

// The manifest's `state:`, nullopt when it sets none.
Result<std::optional<StateLocation>> FromManifest(const std::string& manifest_path) {
  ManifestStateSetting setting = ReadManifestStateSetting(manifest_path);
  if (!setting.errors.empty()) {
    std::string text;
    for (const auto& d : setting.errors) text += (text.empty() ? "" : "\n") + d.ToString();
    return Status::InvalidArgument(text);
  }
  if (!setting.value) return std::optional<StateLocation>();
  auto parsed = ParseStateLocation(setting.value->value);
  if (!parsed.ok())
    return Status::InvalidArgument(
        AtPosition(setting.value->where, "state: " + parsed.status().message()));
  if (!parsed->is_postgres()) {
    // A path in the manifest means the same wherever jlrec runs from: like a template's, it
    // is taken from the folder of the file that says it.
    std::filesystem::path path(parsed->target);
    if (path.is_relative())
      parsed->target =
          (std::filesystem::path(setting.value->where.file).parent_path() / path).string();
  }
  return std::optional<StateLocation>(std::move(*parsed));
}

}  // namespace

Result<StateChoice> ChooseState(const std::string& state_flag, const std::string& key_flag,
                                const std::string& manifest_path, const GetenvFn& getenv) {
  StateChoice choice;
  // The manifest's value is checked even when a flag or the environment wins over it: a
  // password written there, or a typo, is never ignored.
  auto manifest = FromManifest(manifest_path);
  if (!manifest.ok()) return manifest.status();
  const std::string from_env = FromEnv(getenv, "JLREC_STATE");
  if (!state_flag.empty() || !from_env.empty()) {
    const bool flag = !state_flag.empty();
    auto parsed = ParseStateLocation(flag ? state_flag : from_env);
    if (!parsed.ok())
      return Status::InvalidArgument(std::string(flag ? "--state" : "JLREC_STATE") + ": " +
                                     parsed.status().message());
    choice.location = std::move(*parsed);
  } else if (*manifest) {
    choice.location = std::move(**manifest);
  } else {
    choice.location = StateLocation{StateLocation::Kind::kSqlite, DefaultStatePath(manifest_path)};
  }
  choice.key_path = key_flag;
  if (choice.key_path.empty()) choice.key_path = FromEnv(getenv, "JLREC_STATE_KEY");
  if (choice.key_path.empty())
    choice.key_path = DefaultStateKeyPath(choice.location, manifest_path);
  return choice;
}

}  // namespace jlrec::cli
