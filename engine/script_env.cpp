#include "engine/script_env.h"

#include <cctype>

namespace jlrec {

namespace {
bool IsNameChar(char c, bool first) {
  return c == '_' || std::isalpha(static_cast<unsigned char>(c)) ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}
}  // namespace

std::map<std::string, std::string> ParseExportBlock(const std::string& script) {
  std::map<std::string, std::string> env;
  static const std::string kExport = "export ";
  size_t pos = 0;
  while (pos < script.size()) {
    size_t eol = script.find('\n', pos);
    if (eol == std::string::npos) eol = script.size();
    if (script.compare(pos, kExport.size(), kExport) != 0) {
      pos = eol + 1;
      continue;
    }
    size_t i = pos + kExport.size();
    size_t name_start = i;
    while (i < script.size() && IsNameChar(script[i], i == name_start)) ++i;
    if (i == name_start || i >= script.size() || script[i] != '=') {
      pos = eol + 1;
      continue;
    }
    std::string name = script.substr(name_start, i - name_start);
    ++i;
    // Concatenated single-quoted runs and \' escapes, as the renderer writes them.
    std::string value;
    bool ok = true;
    while (i < script.size() && script[i] != '\n') {
      if (script[i] == '\'') {
        size_t close = script.find('\'', i + 1);
        if (close == std::string::npos) {
          ok = false;
          break;
        }
        value.append(script, i + 1, close - i - 1);
        i = close + 1;
      } else if (script[i] == '\\' && i + 1 < script.size()) {
        value.push_back(script[i + 1]);
        i += 2;
      } else if (std::isspace(static_cast<unsigned char>(script[i]))) {
        break;
      } else {
        value.push_back(script[i]);
        ++i;
      }
    }
    if (ok) env[name] = value;
    size_t next = script.find('\n', i);
    pos = next == std::string::npos ? script.size() : next + 1;
  }
  return env;
}

}  // namespace jlrec
