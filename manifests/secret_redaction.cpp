#include "manifests/secret_redaction.h"

#include <algorithm>
#include <vector>

#include "manifests/shell_quote.h"

namespace jlrec {

std::map<std::string, std::string> RedactedEnv(const DesiredContainer& container) {
  std::map<std::string, std::string> env = container.env;
  for (const auto& name : container.secret_env) {
    auto it = env.find(name);
    if (it != env.end()) it->second = kRedactedValue;
  }
  return env;
}

std::string RedactedScript(const DesiredContainer& container) {
  // (pattern, replacement), longest pattern first so that a secret containing another one
  // is replaced whole. One pass over the original text: replacements are never rescanned.
  std::vector<std::pair<std::string, std::string>> patterns;
  for (const auto& name : container.secret_env) {
    auto it = container.env.find(name);
    if (it == container.env.end() || it->second.empty()) continue;
    patterns.emplace_back(ShellQuote(it->second), ShellQuote(kRedactedValue));
    patterns.emplace_back(it->second, kRedactedValue);
  }
  std::stable_sort(patterns.begin(), patterns.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  const std::string& script = container.script;
  std::string out;
  out.reserve(script.size());
  for (size_t pos = 0; pos < script.size();) {
    bool replaced = false;
    for (const auto& [pattern, replacement] : patterns) {
      if (script.compare(pos, pattern.size(), pattern) == 0) {
        out += replacement;
        pos += pattern.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += script[pos++];
  }
  return out;
}

}  // namespace jlrec
