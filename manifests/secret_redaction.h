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

/// `container.script` with every occurrence of a (non-empty) secret value replaced: its
/// export line reads export NAME='<redacted>', and the value anywhere else (quoted or not)
/// becomes <redacted> too. Safe to print or store; not meant to run.
std::string RedactedScript(const DesiredContainer& container);

}  // namespace jlrec
