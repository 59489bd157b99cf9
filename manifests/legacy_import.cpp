#include "manifests/legacy_import.h"

#include <algorithm>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

#include "manifests/python_literal.h"

namespace jlrec {

namespace {

struct LegacyUnit {
  std::string host;
  std::vector<std::string> dockers;
  std::vector<std::string> groups;
  bool core = false;
};

// A deploy_system(group=..., enable_monitor=..., runtime_mode=...) call seen in the file.
struct DeployCall {
  std::optional<bool> enable_monitor;
  std::optional<std::string> runtime_mode;
  int line = 0;
  bool commented = false;
};

Status ErrorAt(const std::string& file, int line, int column, const std::string& what) {
  return Status::InvalidArgument(file + ":" + std::to_string(line) + ":" + std::to_string(column) +
                                 ": error: " + what);
}

// Plain YAML when the text cannot be mistaken for anything else, else double-quoted.
std::string YamlScalar(const std::string& s) {
  static const std::regex kPlain("[A-Za-z_][A-Za-z0-9_./-]*|[0-9]+(\\.[0-9]+){2,}");
  static const std::set<std::string> kSpecial = {
      "true", "false", "True", "False", "null", "Null", "yes",  "no",    "on",  "off",
      "y",    "n",     "Yes",  "No",    "On",   "Off",  "TRUE", "FALSE", "NULL"};
  if (s.size() <= 200 && std::regex_match(s, kPlain) && !kSpecial.count(s)) return s;
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string FlowList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + YamlScalar(items[i]);
  return out + "]";
}

Result<std::vector<std::string>> StringList(const PyValue& v, const std::string& key,
                                            const std::string& file) {
  if (v.kind != PyValue::Kind::kList) {
    return ErrorAt(file, v.line, v.column,
                   "\"" + key + "\" must be a list of strings, got " + v.KindName());
  }
  std::vector<std::string> out;
  for (const auto& item : v.items) {
    if (item.kind != PyValue::Kind::kString) {
      return ErrorAt(file, item.line, item.column,
                     "items of \"" + key + "\" must be strings, got " + item.KindName());
    }
    out.push_back(item.string);
  }
  return out;
}

Result<LegacyUnit> ToUnit(const PyValue& v, const std::string& file) {
  if (v.kind != PyValue::Kind::kDict) {
    return ErrorAt(file, v.line, v.column,
                   std::string("each element of container_list must be a "
                               "dict, got ") +
                       v.KindName());
  }
  LegacyUnit unit;
  std::set<std::string> seen;
  for (const auto& [key, value] : v.entries) {
    if (key.kind != PyValue::Kind::kString) {
      return ErrorAt(file, key.line, key.column, "dict keys must be strings");
    }
    if (!seen.insert(key.string).second) {
      return ErrorAt(file, key.line, key.column, "key \"" + key.string + "\" is repeated");
    }
    if (key.string == "host") {
      if (value.kind != PyValue::Kind::kString) {
        return ErrorAt(file, value.line, value.column, "\"host\" must be a string");
      }
      unit.host = value.string;
    } else if (key.string == "dockers" || key.string == "group") {
      auto list = StringList(value, key.string, file);
      if (!list.ok()) return list.status();
      (key.string == "dockers" ? unit.dockers : unit.groups) = *list;
    } else if (key.string == "core") {
      if (value.kind != PyValue::Kind::kBool) {
        return ErrorAt(file, value.line, value.column, "\"core\" must be True or False");
      }
      unit.core = value.boolean;
    } else {
      return ErrorAt(file, key.line, key.column,
                     "unknown key \"" + key.string + "\" (expected host, dockers, group, core)");
    }
  }
  for (const char* required : {"host", "dockers", "group"}) {
    if (!seen.count(required)) {
      return ErrorAt(file, v.line, v.column, std::string("unit has no \"") + required + "\"");
    }
  }
  return unit;
}

// deploy_system(...) calls, active or commented out, keyed by group (first active call
// wins over commented ones; otherwise the first one seen).
std::map<std::string, DeployCall> FindDeployCalls(const std::string& source) {
  static const std::regex kCall(R"(^(\s*#)?\s*deploy_system\((.*)\))");
  static const std::regex kArg(R"re((\w+)\s*=\s*("[^"]*"|'[^']*'|True|False))re");
  std::map<std::string, DeployCall> calls;
  std::istringstream lines(source);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    // libstdc++'s regex recurses per character: keep it to lines of sane length.
    if (line.size() > 1000 || line.find("deploy_system") == std::string::npos) continue;
    std::smatch call;
    if (!std::regex_search(line, call, kCall)) continue;
    DeployCall found;
    found.line = number;
    found.commented = call[1].matched;
    std::optional<std::string> group;
    const std::string args = call[2].str();
    for (std::sregex_iterator it(args.begin(), args.end(), kArg), end; it != end; ++it) {
      const std::string name = (*it)[1].str(), value = (*it)[2].str();
      const bool quoted = value.front() == '"' || value.front() == '\'';
      const std::string text = quoted ? value.substr(1, value.size() - 2) : value;
      if (name == "group" && quoted) group = text;
      if (name == "runtime_mode" && quoted) found.runtime_mode = text;
      if (name == "enable_monitor" && !quoted) found.enable_monitor = text == "True";
    }
    if (!group) continue;
    auto existing = calls.find(*group);
    if (existing == calls.end() || (existing->second.commented && !found.commented)) {
      calls[*group] = found;
    }
  }
  return calls;
}

// The offset just past "container_list =" at the start of a line (a top-level assignment).
std::optional<size_t> FindAssignment(const std::string& source) {
  static const std::string kName = "container_list";
  for (size_t line = 0; line < source.size();) {
    if (source.compare(line, kName.size(), kName) == 0) {
      size_t i = line + kName.size();
      while (i < source.size() && (source[i] == ' ' || source[i] == '\t')) ++i;
      if (i < source.size() && source[i] == '=' &&
          (i + 1 >= source.size() || source[i + 1] != '=')) {
        return i + 1;
      }
    }
    const size_t eol = source.find('\n', line);
    if (eol == std::string::npos) break;
    line = eol + 1;
  }
  return std::nullopt;
}

}  // namespace

Result<std::string> ImportLegacyContainerList(const std::string& source,
                                              const std::string& file_name,
                                              const LegacyImportOptions& options) {
  auto offset = FindAssignment(source);
  if (!offset) {
    return Status::InvalidArgument(file_name +
                                   ": error: no top-level \"container_list = [...]\" found");
  }
  auto literal = ParsePythonLiteral(source, &*offset);
  if (!literal.ok()) {
    // "LINE:COL: what" -> "FILE:LINE:COL: error: what"
    const std::string message = literal.status().message();
    const size_t colon = message.find(": ");
    return Status::InvalidArgument(file_name + ":" + message.substr(0, colon) +
                                   ": error: " + message.substr(colon + 2));
  }
  if (literal->kind != PyValue::Kind::kList) {
    return ErrorAt(file_name, literal->line, literal->column,
                   std::string("container_list must be a list, got ") + literal->KindName());
  }
  std::vector<LegacyUnit> units;
  std::vector<std::string> hosts, groups;
  for (const auto& item : literal->items) {
    auto unit = ToUnit(item, file_name);
    if (!unit.ok()) return unit.status();
    if (std::find(hosts.begin(), hosts.end(), unit->host) == hosts.end()) {
      hosts.push_back(unit->host);
    }
    for (const auto& g : unit->groups) {
      if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
    }
    units.push_back(std::move(*unit));
  }
  const auto calls = FindDeployCalls(source);

  std::ostringstream out;
  out << "# Generated by `jlrec import-legacy " << file_name << "` from its container_list.\n"
      << "# Review the TODO lines, then check it with `jlrec validate -m FILE`.\n"
      << "version: 1\n"
      << "project: " << YamlScalar(options.project) << "\n"
      << "defaults:\n"
      << "  image: " << YamlScalar(options.image)
      << "  # TODO: the image the legacy script deployed\n"
      << "  command: [\"/bin/sh\", \"/run.sh\"]\n"
      << "  network_mode: host\n"
      << "  restart: unless-stopped\n"
      << "  template: " << YamlScalar(options.template_path) << "  # relative to this file\n"
      << "hosts:\n";
  for (const auto& host : hosts) {
    out << "  " << YamlScalar(host) << ": {address: " << YamlScalar(host) << "}\n";
  }
  out << "groups:\n";
  for (const auto& group : groups) {
    out << "  " << YamlScalar(group) << ":\n";
    auto call = calls.find(group);
    if (call == calls.end()) {
      out << "    # TODO: the legacy deploy_system(group=\"" << group
          << "\", enable_monitor=..., runtime_mode=...) arguments:\n"
          << "    # enable_monitor: false\n"
          << "    # runtime_mode: TODO\n";
      continue;
    }
    out << "    # TODO: from deploy_system(...) at " << file_name << ":" << call->second.line
        << (call->second.commented ? " (commented out there)" : "") << "; uncomment to use:\n"
        << "    # enable_monitor: "
        << (call->second.enable_monitor ? (*call->second.enable_monitor ? "true" : "false")
                                        : "false  # TODO: not given in the call")
        << "\n"
        << "    # runtime_mode: "
        << (call->second.runtime_mode ? YamlScalar(*call->second.runtime_mode)
                                      : "TODO  # not given in the call")
        << "\n";
  }
  out << "units:\n";
  for (const auto& unit : units) {
    out << "  - host: " << YamlScalar(unit.host) << "\n"
        << "    dockers: " << FlowList(unit.dockers) << "\n"
        << "    group: " << FlowList(unit.groups) << "\n"
        << "    core: " << (unit.core ? "true" : "false") << "\n";
  }
  return out.str();
}

}  // namespace jlrec
