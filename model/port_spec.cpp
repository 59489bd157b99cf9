#include "model/port_spec.h"

#include <algorithm>
#include <charconv>
#include <optional>

namespace jlrec {

namespace {

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// A port number 1..65535 in canonical decimal.
bool ParsePortNumber(std::string_view s, int* out) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 1 || v > 65535)
    return false;
  *out = v;
  return true;
}

// "N" or "N-M" (N <= M).
bool ParsePortRange(std::string_view s, int* first, int* last) {
  auto dash = s.find('-');
  if (dash == std::string_view::npos) {
    if (!ParsePortNumber(s, first)) return false;
    *last = *first;
    return true;
  }
  return ParsePortNumber(s.substr(0, dash), first) && ParsePortNumber(s.substr(dash + 1), last) &&
         *first <= *last;
}

bool IsIPv4(std::string_view s) {
  int parts = 0;
  for (std::size_t start = 0;; ++parts) {
    std::size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot - start);
    int v = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || part.size() > 3 || ec != std::errc() || end != part.data() + part.size() ||
        v > 255)
      return false;
    if (dot == std::string_view::npos) return parts == 3;
    start = dot + 1;
  }
}

bool IsIPv6(std::string_view s) {
  return !s.empty() && s.find(':') != std::string_view::npos &&
         s.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
}

// Parses `spec` into `out`; returns what is wrong with it, or nullopt.
std::optional<std::string> Parse(std::string_view spec, std::vector<PortBinding>& out) {
  std::string_view rest = spec;
  std::string protocol = "tcp";
  if (auto slash = rest.rfind('/'); slash != std::string_view::npos) {
    protocol = std::string(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
    if (protocol != "tcp" && protocol != "udp" && protocol != "sctp")
      return "protocol must be tcp, udp or sctp";
  }
  std::string host_ip;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find("]:");
    if (close == std::string_view::npos) return "expected [IPV6]:HOSTPORT:CONTAINERPORT";
    host_ip = std::string(rest.substr(1, close - 1));
    if (!IsIPv6(host_ip)) return "invalid IPv6 address " + Quoted(host_ip);
    rest = rest.substr(close + 2);
    if (std::count(rest.begin(), rest.end(), ':') != 1)
      return "expected [IPV6]:HOSTPORT:CONTAINERPORT";
  }
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    auto colon = rest.find(':', start);
    parts.push_back(rest.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  std::string_view host_part, container_part;
  if (parts.size() == 1) {
    container_part = parts[0];
  } else if (parts.size() == 2) {
    host_part = parts[0];
    container_part = parts[1];
  } else if (parts.size() == 3 && host_ip.empty()) {
    if (!IsIPv4(parts[0])) return "invalid IPv4 address " + Quoted(parts[0]);
    host_ip = std::string(parts[0]);
    host_part = parts[1];
    container_part = parts[2];
  } else {
    return "expected [[IP:]HOSTPORT:]CONTAINERPORT[/PROTO] (an IPv6 address in brackets)";
  }
  int c_first = 0, c_last = 0;
  if (!ParsePortRange(container_part, &c_first, &c_last))
    return "invalid container port " + Quoted(container_part) + " (1..65535, or a range N-M)";
  int h_first = 0, h_last = 0;
  const bool has_host_port = !host_part.empty();
  if (has_host_port) {
    if (!ParsePortRange(host_part, &h_first, &h_last))
      return "invalid host port " + Quoted(host_part) + " (1..65535, or a range N-M)";
    // Docker publishes port for port; a lone host port for a container range (which the
    // docker CLI reads as "any of") cannot be written back as one canonical binding each.
    if (h_last - h_first != c_last - c_first)
      return "host and container port ranges differ in size";
  }
  for (int i = 0; i <= c_last - c_first; ++i) {
    PortBinding b;
    b.host_ip = host_ip;
    b.host_port = has_host_port ? std::to_string(h_first + i) : "";
    b.container_port = std::to_string(c_first + i);
    b.protocol = protocol;
    out.push_back(std::move(b));
  }
  return std::nullopt;
}

}  // namespace

std::string PortBinding::ToString() const {
  std::string out;
  if (!host_ip.empty()) {
    out += host_ip.find(':') != std::string::npos ? "[" + host_ip + "]" : host_ip;
    out += ':';
  }
  if (!host_ip.empty() || !host_port.empty()) {
    out += host_port;
    out += ':';
  }
  out += container_port;
  out += '/';
  out += protocol;
  return out;
}

Result<std::vector<PortBinding>> ParsePortSpec(std::string_view spec) {
  std::vector<PortBinding> out;
  if (auto problem = Parse(spec, out))
    return Status::InvalidArgument("port " + Quoted(spec) + ": " + *problem);
  return out;
}

std::optional<std::string> PortSpecProblem(std::string_view spec) {
  std::vector<PortBinding> ignored;
  return Parse(spec, ignored);
}

Result<std::vector<std::string>> CanonicalPorts(const std::vector<std::string>& ports) {
  std::vector<std::string> out;
  for (const auto& spec : ports) {
    auto bindings = ParsePortSpec(spec);
    if (!bindings.ok()) return bindings.status();
    for (const auto& b : *bindings) out.push_back(b.ToString());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace jlrec
