// ${VAR} references in manifest env values, resolved from the control machine's environment
// so that secrets need not be written in the manifest.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace jlrec {

/// Looks up a variable of the control machine's environment (nullopt = unset).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

/// The outcome of expanding one value. Problems never quote the value: it may be a secret.
struct EnvExpansion {
  std::string value;                  ///< the expanded value (meaningless if problems)
  std::vector<std::string> problems;  ///< one message per bad or unset reference
};

/// Replaces each `${NAME}` (NAME = [A-Za-z_][A-Za-z0-9_]*) in `text` by `lookup(NAME)`;
/// `$${` stands for a literal `${`; any other `$` is kept as is. An unset variable, an
/// unterminated `${` or an invalid name is a problem naming the variable, never its value.
EnvExpansion ExpandEnvReferences(const std::string& text, const EnvLookup& lookup);

/// The lookup of this process's environment (::getenv).
std::optional<std::string> ProcessEnvLookup(const std::string& name);

/// True for a POSIX environment variable name: [A-Za-z_][A-Za-z0-9_]*.
bool IsEnvName(const std::string& name);

}  // namespace jlrec
