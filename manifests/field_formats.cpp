#include "manifests/field_formats.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <vector>

#include "manifests/diagnostic.h"
#include "model/port_spec.h"
#include "model/restart_policy.h"

namespace jlrec {

namespace {

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsLower(c) || IsUpper(c) || IsDigit(c); }

bool AllOf(std::string_view s, bool (*pred)(char)) {
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

bool ParseUint(std::string_view s, unsigned long max, unsigned long* out) {
  if (s.empty() || s.size() > 10 || !AllOf(s, IsDigit)) return false;
  const unsigned long v = std::stoul(std::string(s));
  if (v > max) return false;
  *out = v;
  return true;
}

// [a-zA-Z0-9] followed by the `rest` characters, at least `min_length` long.
bool IsNameLike(std::string_view s, std::string_view rest, size_t min_length) {
  if (s.size() < min_length || !IsAlnum(s[0])) return false;
  for (char c : s.substr(1)) {
    if (!IsAlnum(c) && rest.find(c) == std::string_view::npos) return false;
  }
  return true;
}

// Docker path component: [a-z0-9]+ joined by ".", "_", "__" or runs of "-".
bool IsPathComponent(std::string_view s) {
  if (s.empty()) return false;
  size_t i = 0;
  auto alnum_run = [&] {
    const size_t start = i;
    while (i < s.size() && (IsLower(s[i]) || IsDigit(s[i]))) ++i;
    return i > start;
  };
  if (!alnum_run()) return false;
  while (i < s.size()) {
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < s.size() && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < s.size() && s[i] == '-') ++i;
    } else {
      return false;
    }
    if (!alnum_run()) return false;
  }
  return true;
}

bool IsDomainLabel(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-') return false;
  }
  return true;
}

std::optional<std::string> CheckRegistry(std::string_view domain) {
  std::string_view host = domain;
  if (!host.empty() && host.front() == '[') {  // [IPv6]:port
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return "unterminated IPv6 registry address";
    const std::string_view v6 = host.substr(1, close - 1);
    for (char c : v6) {
      if (!(IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':')) {
        return "invalid IPv6 registry address";
      }
    }
    host = host.substr(close + 1);
    if (host.empty()) return std::nullopt;
    if (host.front() != ':') return "invalid registry address";
    unsigned long port = 0;
    if (!ParseUint(host.substr(1), 65535, &port) || port == 0) return "invalid registry port";
    return std::nullopt;
  }
  const size_t colon = host.find(':');
  if (colon != std::string_view::npos) {
    unsigned long port = 0;
    if (!ParseUint(host.substr(colon + 1), 65535, &port) || port == 0) {
      return "invalid registry port";
    }
    host = host.substr(0, colon);
  }
  for (auto label : Split(host, '.')) {
    if (!IsDomainLabel(label)) return "invalid registry host " + Quoted(std::string(host));
  }
  return std::nullopt;
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!(IsDigit(c) || (c >= 'a' && c <= 'f'))) return false;
  }
  return !s.empty();
}

std::optional<std::string> CheckDestination(std::string_view path) {
  if (path.empty()) return "empty destination";
  if (path.front() != '/') return "destination must be an absolute path";
  if (path.find_first_not_of('/') == std::string_view::npos) return "destination can't be \"/\"";
  return std::nullopt;
}

}  // namespace

bool IsValidContainerName(const std::string& name) { return IsNameLike(name, "_.-", 2); }

bool IsValidSimpleName(const std::string& name) { return IsNameLike(name, "_.-", 1); }

std::optional<std::string> CheckImageReference(const std::string& image) {
  if (image.empty()) return "empty image reference";
  for (char c : image) {
    if (c <= ' ' || c == 0x7f) return "whitespace or control character in image reference";
  }
  std::string_view rest = image;
  const size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    const std::string_view digest = rest.substr(at + 1);
    const size_t colon = digest.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return "digest must be ALGORITHM:HEX, e.g. sha256:<64 hex digits>";
    }
    const std::string_view algo = digest.substr(0, colon), hex = digest.substr(colon + 1);
    if (!IsPathComponent(algo)) return "invalid digest algorithm";
    if (!IsHex(hex)) return "digest is not lower-case hex";
    if (algo == "sha256" && hex.size() != 64) return "sha256 digest must have 64 hex digits";
    if (hex.size() < 32) return "digest is too short";
    rest = rest.substr(0, at);
  }
  const size_t last_slash = rest.rfind('/');
  const size_t last_colon = rest.rfind(':');
  if (last_colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || last_colon > last_slash)) {
    const std::string_view tag = rest.substr(last_colon + 1);
    if (tag.empty()) return "empty tag after \":\"";
    if (tag.size() > 128) return "tag longer than 128 characters";
    const bool first_ok = IsAlnum(tag[0]) || tag[0] == '_';
    bool ok = first_ok;
    for (char c : tag) ok = ok && (IsAlnum(c) || c == '_' || c == '.' || c == '-');
    if (!ok)
      return "invalid tag " + Quoted(std::string(tag)) + " (expected [A-Za-z0-9_][A-Za-z0-9_.-]*)";
    rest = rest.substr(0, last_colon);
  }
  if (rest.empty()) return "missing repository name";
  if (rest.size() > 255) return "repository name longer than 255 characters";
  auto components = Split(rest, '/');
  size_t first_path = 0;
  const std::string_view head = components[0];
  // Docker also takes an upper-case first component for a registry host; a dot-less,
  // port-less registry name is far more likely a mistyped repository, so it is not.
  if (components.size() > 1 &&
      (head.find_first_of(".:[") != std::string_view::npos || head == "localhost")) {
    if (auto problem = CheckRegistry(head)) return problem;
    first_path = 1;
  }
  for (size_t i = first_path; i < components.size(); ++i) {
    const std::string_view c = components[i];
    if (c.empty()) return "empty path component in repository name";
    if (std::any_of(c.begin(), c.end(), IsUpper)) {
      return "repository name must be lower-case (" + Quoted(std::string(c)) + ")";
    }
    if (!IsPathComponent(c)) {
      return "invalid repository path component " + Quoted(std::string(c)) +
             " (lower-case letters and digits, separated by \".\", \"_\", \"__\" or \"-\")";
    }
  }
  return std::nullopt;
}

std::optional<std::string> CheckVolumeSpec(const std::string& spec) {
  auto parts = Split(spec, ':');
  if (parts.size() < 2 || parts.size() > 3) {
    return "expected SRC:DST[:OPTS] (e.g. /data/workspace:/workspace:ro)";
  }
  const std::string_view src = parts[0], dst = parts[1];
  if (src.empty()) return "empty source";
  if (src.front() != '/' && !IsNameLike(src, "_.-", 2)) {
    return "source must be an absolute host path or a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)";
  }
  if (auto problem = CheckDestination(dst)) return problem;
  if (parts.size() == 3) {
    static const std::set<std::string_view> kPropagation = {"shared", "rshared", "slave",
                                                            "rslave", "private", "rprivate"};
    static const std::set<std::string_view> kOther = {
        "ro", "rw", "z", "Z", "nocopy", "consistent", "cached", "delegated"};
    int access = 0, label = 0, propagation = 0;
    std::set<std::string_view> seen;
    for (auto opt : Split(parts[2], ',')) {
      if (!kPropagation.count(opt) && !kOther.count(opt)) {
        return "unknown volume option " + Quoted(std::string(opt));
      }
      if (!seen.insert(opt).second)
        return "volume option " + Quoted(std::string(opt)) + " repeated";
      access += opt == "ro" || opt == "rw";
      label += opt == "z" || opt == "Z";
      propagation += kPropagation.count(opt) ? 1 : 0;
    }
    if (access > 1) return "volume options ro and rw are exclusive";
    if (label > 1) return "volume options z and Z are exclusive";
    if (propagation > 1) return "more than one mount propagation mode";
  }
  return std::nullopt;
}

std::optional<std::string> CheckNetworkMode(const std::string& mode) {
  if (mode.rfind("container:", 0) == 0) {
    if (IsValidContainerName(mode.substr(10))) return std::nullopt;
    return "container:NAME needs a valid container name";
  }
  if (IsNameLike(mode, "_.-", 1)) return std::nullopt;
  return "network_mode must be host, none, bridge, container:NAME or a network name";
}

std::optional<std::string> CheckHostKey(const std::string& key) {
  if (IsNameLike(key, "_.:-", 1)) return std::nullopt;
  return "host " + Quoted(key) + " is not a valid host name ([A-Za-z0-9][A-Za-z0-9_.:-]*)";
}

std::optional<std::string> CheckHostAddress(const std::string& address) {
  if (address.empty()) return "address is empty";
  if (address.front() == '-') return "address must not start with \"-\"";
  for (char c : address) {
    if (!(IsAlnum(c) || c == '.' || c == '-' || c == ':' || c == '_' || c == '%')) {
      return "address " + Quoted(address) + " is not a host name or IP address";
    }
  }
  return std::nullopt;
}

std::optional<std::string> CheckUserName(const std::string& user) {
  if (!user.empty() && (IsAlnum(user[0]) || user[0] == '_')) {
    bool ok = true;
    for (char c : user) ok = ok && (IsAlnum(c) || c == '_' || c == '.' || c == '-');
    if (ok) return std::nullopt;
  }
  return "user " + Quoted(user) + " is not a valid user name ([A-Za-z0-9_][A-Za-z0-9_.-]*)";
}

std::optional<std::string> CheckRuntimeMode(const std::string& mode) {
  if (IsNameLike(mode, "_.-", 1)) return std::nullopt;
  return "runtime_mode " + Quoted(mode) + " must match [A-Za-z0-9][A-Za-z0-9_.-]*";
}

std::optional<std::string> CheckMaxUnavailable(const std::string& value) {
  const bool percent = !value.empty() && value.back() == '%';
  const std::string_view digits = std::string_view(value).substr(0, value.size() - percent);
  unsigned long n = 0;
  if (!ParseUint(digits, percent ? 100 : 1000000, &n) || n == 0) {
    return "max_unavailable must be a count N >= 1 or a percentage N% (1..100), got " +
           Quoted(value);
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text,
                                                       std::string* problem) {
  using std::chrono::milliseconds;
  long long total = 0;
  size_t i = 0;
  if (text.empty()) {
    *problem = "empty duration";
    return std::nullopt;
  }
  while (i < text.size()) {
    const size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    if (i == start || i - start > 9) {
      *problem = "duration " + Quoted(text) + " must be NUMBER+UNIT pairs, e.g. 500ms, 60s, 1m30s";
      return std::nullopt;
    }
    const long long n = std::stoll(text.substr(start, i - start));
    const size_t unit_start = i;
    while (i < text.size() && IsLower(text[i])) ++i;
    const std::string unit = text.substr(unit_start, i - unit_start);
    long long scale = 0;
    if (unit == "ms") scale = 1;
    if (unit == "s") scale = 1000;
    if (unit == "m") scale = 60 * 1000;
    if (unit == "h") scale = 3600 * 1000;
    if (scale == 0) {
      *problem = "duration " + Quoted(text) + " needs a unit: ms, s, m or h";
      return std::nullopt;
    }
    total += n * scale;
  }
  if (total <= 0) {
    *problem = "duration must be greater than zero";
    return std::nullopt;
  }
  return milliseconds(total);
}

std::optional<std::string> CheckPortSpec(const std::string& spec) { return PortSpecProblem(spec); }

std::optional<std::string> CheckRestartPolicy(const std::string& policy) {
  return RestartPolicyProblem(policy);
}

}  // namespace jlrec
