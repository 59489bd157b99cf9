#include "manifests/env_expansion.h"

#include <cstdlib>

#include "manifests/diagnostic.h"

namespace jlrec {

std::optional<std::string> ProcessEnvLookup(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (!value) return std::nullopt;
  return std::string(value);
}

bool IsEnvName(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!(letter || (i > 0 && digit))) return false;
  }
  return true;
}

EnvExpansion ExpandEnvReferences(const std::string& text, const EnvLookup& lookup) {
  EnvExpansion out;
  out.value.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      out.value += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out.value += text[i++];
      continue;
    }
    const size_t close = text.find('}', i + 2);
    if (close == std::string::npos) {
      out.problems.push_back("unterminated ${ in env value (write $${ for a literal ${)");
      return out;
    }
    const std::string name = text.substr(i + 2, close - i - 2);
    if (!IsEnvName(name)) {
      out.problems.push_back("invalid variable name " + Quoted(name) +
                             " in ${...} (expected [A-Za-z_][A-Za-z0-9_]*)");
    } else if (auto found = lookup ? lookup(name) : std::nullopt) {
      out.value += *found;
    } else {
      out.problems.push_back("environment variable " + name +
                             " is not set on this machine (referenced as ${" + name + "})");
    }
    i = close + 1;
  }
  return out;
}

}  // namespace jlrec
