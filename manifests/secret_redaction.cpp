#include "manifests/secret_redaction.h"

#include "manifests/script_template.h"

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
  const std::string& script = container.script;
  const size_t at = ExportBlockOffset(script);
  const std::string block = ExportBlock(container.env);
  if (at == std::string::npos || script.compare(at, block.size(), block) != 0) {
    return "# /run.sh of " + container.Ref() +
           " withheld: it is not laid out as jlrec renders it, so its secrets cannot be "
           "located\n";
  }
  return script.substr(0, at) + ExportBlock(RedactedEnv(container)) +
         script.substr(at + block.size());
}

}  // namespace jlrec
