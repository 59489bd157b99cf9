// The one port grammar: what a manifest may write in `ports:`, what apply asks Docker to
// publish, and the canonical form the diff compares (validate accepts exactly what apply
// can create).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/status.h"

namespace jlrec {

/// One published port.
struct PortBinding {
  std::string host_ip;         ///< "" = all addresses
  std::string host_port;       ///< "" = Docker picks one
  std::string container_port;  ///< decimal
  std::string protocol;        ///< tcp, udp or sctp
  /// "[IP:]HOSTPORT:CONTAINERPORT/PROTO" ("CONTAINERPORT/PROTO" when neither IP nor host
  /// port is set; an IPv6 address in brackets).
  std::string ToString() const;
};

/// Parses a port spec "[[IP:]HOSTPORT:]CONTAINERPORT[/PROTO]": ports or equal-length ranges
/// ("8000-8001:80-81"), a container port alone or "IP::PORT" (Docker picks the host port), an IPv4
/// address or an IPv6 one in brackets before a host port; tcp when no protocol is given. One
/// binding per port. kInvalidArgument, with PortSpecProblem's reason, if malformed.
Result<std::vector<PortBinding>> ParsePortSpec(std::string_view spec);

/// What is wrong with port spec `spec` (the manifest's validation message), or nullopt when
/// ParsePortSpec accepts it: validation and apply read ports with this one grammar.
std::optional<std::string> PortSpecProblem(std::string_view spec);

/// `ports` in canonical form: each binding on its own, protocol explicit, sorted.
Result<std::vector<std::string>> CanonicalPorts(const std::vector<std::string>& ports);

}  // namespace jlrec
