// Showing scripts and desired containers without their secrets: env entries named in
// secret_env are replaced wherever jlrec prints, logs or stores them, and the values of a
// script's assignments are hidden by where they stand, never by searching for them.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/desired_state.h"

namespace jlrec {

/// What a secret value is replaced by.
inline constexpr const char* kRedactedValue = "<redacted>";

/// `container.env` with the value of every name in `container.secret_env` replaced by
/// kRedactedValue.
std::map<std::string, std::string> RedactedEnv(const DesiredContainer& container);

/// `container.script` with the export block RenderStartupScript wrote (the only place a
/// value is inserted: the body refers to "${NAME}") replaced by the block of RedactedEnv, so
/// a secret's line reads export NAME='<redacted>'. By position, not by searching for the
/// value: the rest of the script is left as written, even where it happens to contain the
/// characters of a short secret. A script without that block at that place is withheld
/// whole. Safe to print or store; not meant to run.
std::string RedactedScript(const DesiredContainer& container);

/// One line of a script as a plan shows it: a physical line, or an assignment whose quoted
/// value spans several.
struct ScriptUnit {
  std::string raw;    ///< as in the script, with its final '\n' when it has one
  std::string shown;  ///< `raw`, or with the assignment's value replaced (`redacted`)
  bool redacted = false;
  std::size_t lines = 1;  ///< physical lines of `raw`
};

/// Which assignments' values to hide: told the variable's name and whether the line
/// exports it.
using RedactWhen = std::function<bool(std::string_view name, bool exported)>;

/// `script` (any /run.sh: a container's as read from its host included) cut into
/// ScriptUnits, with values hidden by their position in the script. An assignment is a line
/// `[blanks][export blanks]NAME=...`; its value runs to the first newline outside quotes
/// ('...', "...", a backslash escape) and comments, so a value that spans lines is one unit,
/// and a second assignment or a comment on that line is hidden with it. A line is hidden when
/// `redact` says so for any NAME= word on it: all that follows its first '=' becomes
/// '<redacted>' (kRedactedValue, quoted). nullopt when a value to hide has a quote that is
/// never closed: where it ends cannot be known, so the caller withholds the script rather
/// than risk showing part of a secret.
std::optional<std::vector<ScriptUnit>> SplitScript(std::string_view script,
                                                   const RedactWhen& redact);

/// `container.script` cut as SplitScript cuts it, with each secret's value hidden by the
/// place RenderStartupScript gave it: the export block is made again from `container.env`
/// entry by entry (one unit each, the same bytes SplitScript finds in a copy of that
/// script), and the assignments of secret names elsewhere are hidden too. nullopt when the
/// script is not laid out as jlrec renders it (as RedactedScript withholds it then).
std::optional<std::vector<ScriptUnit>> RedactedScriptUnits(const DesiredContainer& container);

}  // namespace jlrec
