// Showing desired containers without their secrets: env entries named in secret_env are
// replaced wherever jlrec prints, logs or stores them.
#pragma once

#include <map>
#include <string>

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

}  // namespace jlrec
