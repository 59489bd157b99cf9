#include "manifests/legacy_import.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

#include "manifests/python_call.h"
#include "manifests/python_literal.h"
#include "manifests/python_module_outline.h"
#include "model/strings.h"

namespace jlrec {

namespace {

constexpr const char* kDeploySystem = "deploy_system";
constexpr const char* kCreateGroupContainers = "create_group_containers";
// The legacy script's default command line for the containers: its /run.sh.
// At most this many hosts are named in the review line (the rest are counted).
constexpr size_t kHostsNamed = 6;

struct LegacyUnit {
  std::string host;
  std::vector<std::string> dockers;
  std::vector<std::string> groups;
  bool core = false;
};

// What an active deploy_system(...) call sets.
struct DeploySettings {
  bool enable_monitor = false;
  std::string runtime_mode;
  bool operator==(const DeploySettings& o) const {
    return enable_monitor == o.enable_monitor && runtime_mode == o.runtime_mode;
  }
};

// The active deploy_system(...) calls of one group (they agree) and what they set.
struct GroupCalls {
  DeploySettings settings;
  std::vector<int> lines;
  int first_column = 0;
};

// A call kept as a YAML comment: commented out, or an active create_group_containers(...).
struct KeptCall {
  std::string function;
  int first_line = 0;
  int last_line = 0;
  bool commented = true;
  std::vector<std::string> lines;    // the comment's text (commented calls)
  std::optional<std::string> group;  // the group it names, when that can be read
};

// A function's parameters: from its def in the file, else the legacy script's.
struct Signature {
  std::vector<PyParameter> parameters;
  int def_line = 0;  // 0: no def in the file
};

Status ErrorAt(const std::string& file, int line, int column, const std::string& what) {
  return Status::InvalidArgument(file + ":" + std::to_string(line) + ":" + std::to_string(column) +
                                 ": error: " + what);
}

// "LINE:COL: what" (the Python readers' form) -> "FILE:LINE:COL: error: prefix: what".
Status InFile(const std::string& file, const Status& status, const std::string& prefix = "") {
  const std::string& message = status.message();
  const size_t colon = message.find(": ");
  if (colon == std::string::npos) return Status::InvalidArgument(file + ": error: " + message);
  return Status::InvalidArgument(file + ":" + message.substr(0, colon) + ": error: " +
                                 (prefix.empty() ? "" : prefix + ": ") + message.substr(colon + 2));
}

// Appends `text` with what could break YAML escaped: control characters, bytes that are not
// UTF-8, and the characters some YAML readers take for a line break or that YAML does not
// allow (C1 controls, U+2028, U+2029, U+FEFF, U+FFFE, U+FFFF). In a double-quoted scalar
// (`quoted`) the escapes are YAML's own, '"' and '\' are escaped too; in a comment they are
// only visible text, which is what keeps the comment one comment.
void AppendEscaped(const std::string& text, bool quoted, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto hex = [&](unsigned value, int digits) {
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) *out += kHex[(value >> shift) & 0xf];
  };
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (quoted && (c == '"' || c == '\\')) {
        *out += '\\';
        *out += static_cast<char>(c);
      } else if (c == '\n') {
        *out += "\\n";
      } else if (c == '\t') {
        *out += quoted ? "\\t" : "\t";
      } else if (c < 0x20 || c == 0x7f) {
        *out += "\\x";
        hex(c, 2);
      } else {
        *out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    const size_t length = c >= 0xf0 && c <= 0xf4   ? 4
                          : c >= 0xe0 && c <= 0xef ? 3
                          : c >= 0xc2 && c <= 0xdf ? 2
                                                   : 0;
    unsigned code = length == 4 ? c & 0x07u : length == 3 ? c & 0x0fu : c & 0x1fu;
    bool valid = length != 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      valid = (next & 0xc0) == 0x80;
      code = (code << 6) | (next & 0x3fu);
    }
    const unsigned smallest = length == 4 ? 0x10000 : length == 3 ? 0x800 : 0x80;
    valid = valid && code >= smallest && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
    if (!valid) {
      *out += "\\x";
      hex(c, 2);
      ++i;
      continue;
    }
    if ((code >= 0x80 && code <= 0x9f) || code == 0x2028 || code == 0x2029 || code == 0xfeff ||
        code == 0xfffe || code == 0xffff) {
      *out += "\\u";
      hex(code, 4);
    } else {
      out->append(text, i, length);
    }
    i += length;
  }
}

// Text that stays inside one YAML comment line.
std::string CommentText(const std::string& text) {
  std::string out;
  AppendEscaped(text, false, &out);
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  return out;
}

// Plain YAML when the text cannot be mistaken for anything else, else double-quoted.
std::string YamlScalar(const std::string& s) {
  static const std::regex kPlain("[A-Za-z_][A-Za-z0-9_./-]*|[0-9]+(\\.[0-9]+){2,}");
  static const std::set<std::string> kSpecial = {
      "true", "false", "True", "False", "TRUE", "FALSE", "null", "Null", "NULL",
      "yes",  "no",    "Yes",  "No",    "YES",  "NO",    "on",   "On",   "ON",
      "off",  "Off",   "OFF",  "y",     "Y",    "n",     "N"};
  if (s.size() <= 200 && std::regex_match(s, kPlain) && !kSpecial.count(s)) return s;
  std::string out = "\"";
  AppendEscaped(s, true, &out);
  return out + "\"";
}

std::string FlowList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + YamlScalar(items[i]);
  return out + "]";
}

std::string Lines(const KeptCall& call) {
  return call.first_line == call.last_line
             ? std::to_string(call.first_line)
             : std::to_string(call.first_line) + "-" + std::to_string(call.last_line);
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

PyParameter SeedParameter(const std::string& name, PyValue value) {
  PyParameter parameter;
  parameter.name = name;
  parameter.has_default = true;
  parameter.default_value = std::move(value);
  return parameter;
}

PyValue SeedString(const std::string& text) {
  PyValue value;
  value.kind = PyValue::Kind::kString;
  value.string = text;
  return value;
}

// The legacy script's own signatures (the seed's operation_utils/deploy/jiliang_deploy.py),
// for a file that calls the functions without defining them.
std::vector<PyParameter> SeedParameters(const std::string& function) {
  PyValue no;
  no.kind = PyValue::Kind::kBool;
  if (function == kDeploySystem) {
    return {SeedParameter("group", SeedString("test")), SeedParameter("enable_monitor", no),
            SeedParameter("runtime_mode", SeedString("test"))};
  }
  return {SeedParameter("group", SeedString("test"))};
}

// The signature of `function`: its last module-level def in the file (the one a call at the
// end of the module sees), else the legacy script's. A def that does not take the
// parameters jlrec maps is an error at the def.
Result<Signature> ReadSignature(const std::string& source, const std::string& file,
                                const PythonModuleOutline& outline, const std::string& function) {
  const PythonDef* def = nullptr;
  for (const auto& d : outline.defs) {
    if (d.function == function) def = &d;
  }
  Signature signature;
  if (!def) {
    signature.parameters = SeedParameters(function);
    return signature;
  }
  size_t offset = def->open_paren;
  auto parameters = ParsePythonParameters(source, &offset);
  if (!parameters.ok()) {
    return InFile(file, parameters.status(), "cannot read def " + function + "(...)");
  }
  for (const auto& needed : SeedParameters(function)) {
    bool found = false;
    for (const auto& p : *parameters) found = found || p.name == needed.name;
    if (!found) {
      return ErrorAt(
          file, def->line, def->column,
          "def " + function + "(...) has no parameter \"" + needed.name + "\": jlrec reads " +
              function +
              (function == kDeploySystem ? "(group, enable_monitor, runtime_mode)" : "(group)"));
    }
  }
  signature.parameters = std::move(*parameters);
  signature.def_line = def->line;
  return signature;
}

// The value of parameter `name` in a bound call; a default that is needed but is not a
// literal is an error at the default.
Result<PyValue> Lookup(const std::map<std::string, PyBoundValue>& bound, const Signature& signature,
                       const std::string& function, const std::string& name,
                       const std::string& file) {
  auto it = bound.find(name);
  if (it != bound.end()) return it->second.value;
  for (const auto& p : signature.parameters) {
    if (p.name == name) {
      return InFile(file, Status::InvalidArgument(p.default_error),
                    "the default of " + name + " in def " + function + "(...) cannot be read");
    }
  }
  return Status::Internal("no parameter " + name);
}

Result<std::string> ReadString(const PyValue& value, const std::string& function,
                               const std::string& name, const std::string& file) {
  if (value.kind != PyValue::Kind::kString) {
    return ErrorAt(file, value.line, value.column,
                   function + "(...): " + name + " must be a string, got " + value.KindName());
  }
  return value.string;
}

Result<bool> ReadBool(const PyValue& value, const std::string& function, const std::string& name,
                      const std::string& file) {
  if (value.kind != PyValue::Kind::kBool) {
    return ErrorAt(file, value.line, value.column,
                   function + "(...): " + name + " must be True or False, got " + value.KindName());
  }
  return value.boolean;
}

// The group a commented-out call names, when its text reads as a call (best effort: it is a
// comment, not code, and never an error).
std::optional<std::string> CommentedGroup(const PythonCommentedCall& call,
                                          const Result<Signature>& signature) {
  if (call.code.empty() || !signature.ok()) return std::nullopt;
  size_t offset = call.code.find('(');
  auto arguments = ParsePythonCallArguments(call.code, &offset);
  if (!arguments.ok()) return std::nullopt;
  auto bound = BindPythonArguments(call.function, 1, 1, *arguments, signature->parameters);
  if (!bound.ok()) return std::nullopt;
  auto group = bound->find("group");
  if (group == bound->end() || group->second.value.kind != PyValue::Kind::kString) {
    return std::nullopt;
  }
  return group->second.value.string;
}

class LegacyImporter {
 public:
  LegacyImporter(const std::string& source, const std::string& file,
                 const LegacyImportOptions& options)
      : source_(source),
        lines_(source),
        file_(file),
        name_(std::filesystem::path(file).filename().string()),
        options_(options) {}

  Result<LegacyImport> Run() {
    auto outline = OutlinePythonModule(source_, {kDeploySystem, kCreateGroupContainers});
    if (!outline.ok()) return InFile(file_, outline.status());
    outline_ = std::move(*outline);
    if (Status s = ReadContainerList(); !s.ok()) return s;
    ReadImage();
    auto deploy = ReadSignature(source_, file_, outline_, kDeploySystem);
    if (!deploy.ok()) return deploy.status();
    deploy_ = std::move(*deploy);
    create_ = ReadSignature(source_, file_, outline_, kCreateGroupContainers);
    for (const auto& call : outline_.calls) {
      if (Status s = ReadCall(call); !s.ok()) return s;
    }
    for (const auto& call : outline_.commented_calls) {
      KeptCall kept;
      kept.function = call.function;
      kept.first_line = call.first_line;
      kept.last_line = call.last_line;
      kept.lines = call.lines;
      kept.group = CommentedGroup(
          call, call.function == kDeploySystem ? Result<Signature>(deploy_) : create_);
      kept_.push_back(std::move(kept));
    }
    std::stable_sort(kept_.begin(), kept_.end(), [](const KeptCall& a, const KeptCall& b) {
      return a.first_line < b.first_line;
    });
    // Groups set by active calls but used by no unit are declared too, in the calls' order.
    for (const auto& group : call_order_) {
      if (AddGroup(group)) unused_groups_.push_back(group);
    }
    if (Status s = ReadDefaults(); !s.ok()) return s;
    LegacyImport result;
    result.manifest = Render();
    result.review = Review();
    return result;
  }

 private:
  Status ReadContainerList() {
    const PythonAssignment* assignment = nullptr;
    for (const auto& a : outline_.assignments) {
      if (a.name == "container_list") {
        if (assignment) list_lines_.push_back(assignment->line);
        assignment = &a;
      }
    }
    if (!assignment) {
      return Status::InvalidArgument(file_ +
                                     ": error: no top-level \"container_list = [...]\" found");
    }
    list_line_ = assignment->line;
    size_t offset = assignment->value_offset;
    auto literal = ParsePythonLiteral(source_, &offset, &lines_);
    if (!literal.ok()) return InFile(file_, literal.status());
    if (literal->kind != PyValue::Kind::kList) {
      return ErrorAt(file_, literal->line, literal->column,
                     std::string("container_list must be a list, got ") + literal->KindName());
    }
    for (const auto& item : literal->items) {
      auto unit = ToUnit(item, file_);
      if (!unit.ok()) return unit.status();
      if (host_set_.insert(unit->host).second) hosts_.push_back(unit->host);
      for (const auto& g : unit->groups) AddGroup(g);
      units_.push_back(std::move(*unit));
    }
    return Status::Ok();
  }

  // The image: --image, else the script's IMAGE = "..." (the one Python ends up with), else
  // the default, each said in the manifest and the review list.
  void ReadImage() {
    if (!options_.image.empty()) {
      image_ = options_.image;
      image_origin_ = "from --image";
      return;
    }
    image_ = kLegacyDefaultImage;
    const PythonAssignment* assignment = nullptr;
    for (const auto& a : outline_.assignments) {
      if (a.name == "IMAGE") assignment = &a;
    }
    if (!assignment) {
      image_origin_ = "a guess: the script has no IMAGE = \"...\"";
      image_guessed_ = true;
      return;
    }
    size_t offset = assignment->value_offset;
    auto value = ParsePythonLiteral(source_, &offset, &lines_);
    if (value.ok() && value->kind == PyValue::Kind::kString) {
      image_ = value->string;
      image_origin_ = "from IMAGE at " + name_ + ":" + std::to_string(assignment->line);
      return;
    }
    image_origin_ = "a guess: IMAGE at " + name_ + ":" + std::to_string(assignment->line) +
                    " is not a plain string";
    image_guessed_ = true;
  }

  Status ReadCall(const PythonCall& call) {
    const std::string what = call.function + "(...)";
    if (call.context == PythonCallContext::kFunction) {
      skipped_.push_back(what + " at " + name_ + ":" + std::to_string(call.line) + " inside " +
                         call.block + " (line " + std::to_string(call.block_line) +
                         ") is not read: only calls at module level or under if __name__ == "
                         "\"__main__\": are");
      return Status::Ok();
    }
    if (call.context == PythonCallContext::kConditional) {
      return ErrorAt(file_, call.line, call.column,
                     what + " under \"" + call.block + "\" (line " +
                         std::to_string(call.block_line) +
                         ") may run never or more than once: jlrec reads the calls at module "
                         "level or under if __name__ == \"__main__\": only; move it there or "
                         "comment it out");
    }
    const bool deploy = call.function == kDeploySystem;
    if (!deploy && !create_.ok()) return create_.status();
    const Signature& signature = deploy ? deploy_ : *create_;
    size_t offset = call.open_paren;
    auto arguments = ParsePythonCallArguments(source_, &offset, &lines_);
    if (!arguments.ok()) return InFile(file_, arguments.status(), what);
    auto bound = BindPythonArguments(call.function, call.line, call.column, *arguments,
                                     signature.parameters);
    if (!bound.ok()) return InFile(file_, bound.status());
    auto group_value = Lookup(*bound, signature, call.function, "group", file_);
    if (!group_value.ok()) return group_value.status();
    auto group = ReadString(*group_value, call.function, "group", file_);
    if (!group.ok()) return group.status();
    for (const auto& [name, value] : *bound) {
      if (value.from_call && name != "group" &&
          !(deploy && (name == "enable_monitor" || name == "runtime_mode"))) {
        ignored_.push_back(what + " at " + name_ + ":" + std::to_string(call.line) + " passes " +
                           name + ": not imported");
      }
    }
    if (!deploy) {
      KeptCall kept;
      kept.function = call.function;
      kept.first_line = kept.last_line = call.line;
      kept.commented = false;
      kept.group = *group;
      kept_.push_back(std::move(kept));
      return Status::Ok();
    }
    auto monitor_value = Lookup(*bound, signature, call.function, "enable_monitor", file_);
    if (!monitor_value.ok()) return monitor_value.status();
    auto monitor = ReadBool(*monitor_value, call.function, "enable_monitor", file_);
    if (!monitor.ok()) return monitor.status();
    auto mode_value = Lookup(*bound, signature, call.function, "runtime_mode", file_);
    if (!mode_value.ok()) return mode_value.status();
    auto mode = ReadString(*mode_value, call.function, "runtime_mode", file_);
    if (!mode.ok()) return mode.status();
    const DeploySettings settings{*monitor, *mode};
    auto [it, inserted] = calls_.try_emplace(*group);
    if (inserted) {
      call_order_.push_back(*group);
      it->second.settings = settings;
      it->second.first_column = call.column;
    } else if (!(it->second.settings == settings)) {
      return ErrorAt(file_, call.line, call.column,
                     "deploy_system(group=\"" + *group + "\") sets " + Describe(settings) +
                         " here but " + Describe(it->second.settings) + " at " + file_ + ":" +
                         std::to_string(it->second.lines.front()) + ":" +
                         std::to_string(it->second.first_column) +
                         ": the script deploys the group twice with different settings; "
                         "comment one call out");
    }
    it->second.lines.push_back(call.line);
    return Status::Ok();
  }

  static std::string Describe(const DeploySettings& s) {
    return std::string("enable_monitor=") + (s.enable_monitor ? "True" : "False") +
           ", runtime_mode=\"" + s.runtime_mode + "\"";
  }

  // What a group without an active call gets: the defaults of def deploy_system(...), else
  // (or for a parameter it gives no default) the legacy script's.
  Status ReadDefaults() {
    bool needed = false;
    for (const auto& g : groups_) needed = needed || !calls_.count(g);
    if (!needed) return Status::Ok();
    for (const auto& p : deploy_.parameters) {
      if (p.name != "enable_monitor" && p.name != "runtime_mode") continue;
      if (!p.has_default) {  // defaults_ starts as the legacy script's
        seed_defaults_for_.push_back(p.name);
        continue;
      }
      if (!p.default_value) {
        return InFile(file_, Status::InvalidArgument(p.default_error),
                      "the default of " + p.name + " in def deploy_system(...) cannot be read");
      }
      if (p.name == "enable_monitor") {
        auto value = ReadBool(*p.default_value, kDeploySystem, p.name, file_);
        if (!value.ok()) return value.status();
        defaults_.enable_monitor = *value;
      } else {
        auto value = ReadString(*p.default_value, kDeploySystem, p.name, file_);
        if (!value.ok()) return value.status();
        defaults_.runtime_mode = *value;
      }
    }
    return Status::Ok();
  }

  void RenderKept(const KeptCall& call, const std::string& indent, std::ostringstream& out) const {
    const std::string at = name_ + ":" + Lines(call);
    if (!call.commented) {
      out << indent << "# " << CommentText(call.function + "(...) at " + at)
          << " (active): jlrec apply creates what is missing\n";
    } else if (call.lines.size() == 1) {
      out << indent << "# commented out at " << CommentText(at) << ": "
          << CommentText(call.lines.front()) << "\n";
    } else {
      out << indent << "# commented out at " << CommentText(at) << ":\n";
      for (const auto& line : call.lines) out << indent << "#   " << CommentText(line) << "\n";
    }
  }

  std::string Render() const {
    std::ostringstream out;
    out << "# Generated by `jlrec import-legacy` from " << CommentText(name_) << ": its\n"
        << "# container_list and deploy_system(...) calls. Check the review list it printed,\n"
        << "# then run `jlrec validate -m` on this file.\n"
        << "version: 1\n"
        << "project: " << YamlScalar(options_.project) << "\n"
        << "defaults:\n"
        << "  image: " << YamlScalar(image_) << "  # " << CommentText(image_origin_) << "\n"
        << "  # No command: the image's own, and no restart policy, as the legacy\n"
        << "  # create_group_containers() ran them (docker run -d --name NAME --network host\n"
        << "  # IMAGE), so that jlrec adopts the running containers instead of replacing them.\n"
        << "  network_mode: host\n"
        << "  restart: \"no\"\n"
        << "  template: " << YamlScalar(options_.template_path)
        << "  # relative to this file: the legacy /run.sh\n"
        << "# The legacy script holds no connection settings: jlrec's defaults (port 22, the user\n"
        << "# of ~/.ssh/config or yours, /var/run/docker.sock) apply until set here or under\n"
        << "# host_defaults: (port, user, identity_file, docker_socket).\n"
        << "hosts:\n";
    if (hosts_.empty()) out << "  {}\n";
    for (const auto& host : hosts_) {
      out << "  " << YamlScalar(host) << ": {address: " << YamlScalar(host) << "}\n";
    }
    out << "groups:" << (groups_.empty() ? " {}" : "") << "\n";
    // The kept calls of each group, in kept_ order, found once (not once per group).
    std::map<std::string, std::vector<const KeptCall*>> kept_by_group;
    for (const auto& kept : kept_) {
      if (kept.group && group_set_.count(*kept.group)) kept_by_group[*kept.group].push_back(&kept);
    }
    for (const auto& group : groups_) {
      out << "  " << YamlScalar(group) << ":\n";
      DeploySettings settings = defaults_;
      auto call = calls_.find(group);
      if (call != calls_.end()) {
        settings = call->second.settings;
        std::string lines;
        for (int line : call->second.lines) {
          lines += (lines.empty() ? "" : ", ") + std::to_string(line);
        }
        out << "    # " << CommentText("deploy_system(...) at " + name_ + ":" + lines) << "\n";
      } else {
        out << "    # no active deploy_system(...) call for this group: the legacy defaults\n"
            << "    # (" << CommentText(DefaultsOrigin()) << ")\n";
      }
      out << "    enable_monitor: " << (settings.enable_monitor ? "true" : "false") << "\n"
          << "    runtime_mode: " << YamlScalar(settings.runtime_mode) << "\n";
      for (const KeptCall* kept : kept_by_group[group]) RenderKept(*kept, "    ", out);
    }
    for (const auto& kept : kept_) {
      if (!kept.group || !group_set_.count(*kept.group)) RenderKept(kept, "  ", out);
    }
    out << "units:" << (units_.empty() ? " []" : "") << "\n";
    for (const auto& unit : units_) {
      out << "  - host: " << YamlScalar(unit.host) << "\n"
          << "    dockers: " << FlowList(unit.dockers) << "\n"
          << "    group: " << FlowList(unit.groups) << "\n"
          << "    core: " << (unit.core ? "true" : "false") << "\n";
    }
    return out.str();
  }

  // Adds `group` to groups_ unless it is there; true when added.
  bool AddGroup(const std::string& group) {
    if (!group_set_.insert(group).second) return false;
    groups_.push_back(group);
    return true;
  }

  std::string DefaultsOrigin() const {
    std::string origin =
        deploy_.def_line == 0
            ? "deploy_system(group=\"test\", enable_monitor=False, runtime_mode=\"test\")"
            : "def deploy_system(...) at " + name_ + ":" + std::to_string(deploy_.def_line);
    if (deploy_.def_line != 0 && !seed_defaults_for_.empty()) {
      origin += "; " + Join(seed_defaults_for_) + " from the legacy script's";
    }
    return origin;
  }

  std::vector<std::string> Review() const {
    std::vector<std::string> review;
    review.push_back("image: " + image_ + " (" + image_origin_ + "): " +
                     (image_guessed_ ? "set the image the containers run now (--image)"
                                     : "check it is the image the containers run now"));
    review.push_back(
        "command: the image's own, network_mode: host, restart: no (as the legacy "
        "`docker run -d --name NAME --network host IMAGE`): compare with `docker inspect` of a "
        "running container; a difference makes it a conflict, not an adoption (see jlrec plan)");
    std::vector<std::string> defaulted;
    for (const auto& g : groups_) {
      if (!calls_.count(g)) defaulted.push_back(g);
    }
    if (!defaulted.empty()) {
      review.push_back(
          "groups with no active deploy_system(...) call, given the legacy "
          "defaults (" +
          Describe(defaults_) + "): " + Join(defaulted));
    }
    std::vector<std::string> commented_lines, create_groups;
    std::set<std::string> create_group_set;
    int created_active = 0, created_commented = 0;
    for (const auto& kept : kept_) {
      if (kept.commented) commented_lines.push_back(Lines(kept));
      if (kept.function != kCreateGroupContainers) continue;
      (kept.commented ? created_commented : created_active)++;
      const std::string name = kept.group ? *kept.group : "?";
      if (create_group_set.insert(name).second) create_groups.push_back(name);
    }
    if (!commented_lines.empty()) {
      review.push_back("commented-out calls kept as YAML comments: " + name_ + " lines " +
                       Join(commented_lines));
    }
    if (!create_groups.empty()) {
      const std::string how = created_active == 0 ? "all commented out"
                              : created_commented == 0
                                  ? "all active"
                                  : std::to_string(created_active) + " active, " +
                                        std::to_string(created_commented) + " commented out";
      review.push_back("create_group_containers(...) for " + Join(create_groups) + " (" + how +
                       "): kept as comments only; jlrec apply creates what is missing");
    }
    for (const auto& group : unused_groups_) {
      review.push_back("group " + group + ": set by deploy_system(...) at " + name_ + ":" +
                       std::to_string(calls_.at(group).lines.front()) +
                       " but no unit of container_list is in it (declared anyway)");
    }
    review.insert(review.end(), skipped_.begin(), skipped_.end());
    review.insert(review.end(), ignored_.begin(), ignored_.end());
    if (!list_lines_.empty()) {
      std::vector<std::string> lines;
      for (int line : list_lines_) lines.push_back(std::to_string(line));
      review.push_back("container_list is assigned more than once: the last one (" + name_ + ":" +
                       std::to_string(list_line_) + ") was read, not lines " + Join(lines));
    }
    std::vector<std::string> named(
        hosts_.begin(),
        hosts_.begin() + static_cast<std::ptrdiff_t>(std::min(hosts_.size(), kHostsNamed)));
    std::string hosts = Join(named);
    if (hosts_.size() > kHostsNamed) {
      hosts += " and " + std::to_string(hosts_.size() - kHostsNamed) + " more";
    }
    if (!hosts_.empty()) {
      review.push_back(
          "hosts: check port, user, identity_file and docker_socket (jlrec's "
          "defaults until set; the script has none) for " +
          hosts);
    }
    review.push_back(
        "secrets: none are imported; give passwords and keys as env \"${VAR}\" entries listed "
        "in secret_env");
    return review;
  }

  const std::string& source_;
  const LineIndex lines_;    // of source_, shared by every literal read from it
  const std::string& file_;  // in error messages, as given
  const std::string name_;   // in the manifest and the review list: the file's own name
  const LegacyImportOptions& options_;
  PythonModuleOutline outline_;
  std::vector<LegacyUnit> units_;
  std::vector<std::string> hosts_, groups_;     // first-seen order, each once
  std::set<std::string> host_set_, group_set_;  // the same, for membership in O(log n)
  int list_line_ = 0;
  std::vector<int> list_lines_;  // earlier assignments of container_list
  std::string image_, image_origin_;
  bool image_guessed_ = false;
  Signature deploy_;
  Result<Signature> create_ = Status::Internal("not read");
  std::map<std::string, GroupCalls> calls_;  // active deploy_system calls by group
  std::vector<std::string> call_order_;      // their groups, in the order of the calls
  std::vector<KeptCall> kept_;
  std::vector<std::string> unused_groups_, skipped_, ignored_;
  DeploySettings defaults_{false, "test"};
  std::vector<std::string> seed_defaults_for_;
};

}  // namespace

Result<LegacyImport> ImportLegacyScript(const std::string& source, const std::string& file_name,
                                        const LegacyImportOptions& options) {
  return LegacyImporter(source, file_name, options).Run();
}

}  // namespace jlrec
