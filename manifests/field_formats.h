// Syntax checks for manifest values that Docker, SSH or the shell would otherwise reject (or
// misread) later, on a host. Each Check* returns the problem in words, or nullopt when fine.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace jlrec {

/// True for a name Docker accepts for a container: [a-zA-Z0-9][a-zA-Z0-9_.-]+.
bool IsValidContainerName(const std::string& name);

/// True for a project or group name: [a-zA-Z0-9][a-zA-Z0-9_.-]* (no commas: JL_GROUP joins
/// names with them; no slashes: they appear in "host/container" references).
bool IsValidSimpleName(const std::string& name);

/// Docker's reference grammar: [registry[:port]/]path[:tag][@algo:hex], lower-case path.
std::optional<std::string> CheckImageReference(const std::string& image);

/// A bind or named-volume spec: SRC:DST[:OPTS], SRC absolute or a volume name, DST absolute
/// and not "/", OPTS a comma list of ro, rw, z, Z, nocopy and the propagation modes.
std::optional<std::string> CheckVolumeSpec(const std::string& spec);

/// A published port in the one port grammar apply uses (model/port_spec.h: PortSpecProblem).
std::optional<std::string> CheckPortSpec(const std::string& spec);

/// A restart policy in the one grammar apply uses (model/restart_policy.h).
std::optional<std::string> CheckRestartPolicy(const std::string& policy);

/// host, none, bridge, default, container:NAME or a user network name.
std::optional<std::string> CheckNetworkMode(const std::string& mode);

/// A host key as units write it: [A-Za-z0-9][A-Za-z0-9_.:-]* (no "/": it is used in refs).
std::optional<std::string> CheckHostKey(const std::string& key);

/// An SSH address: a DNS name, IPv4 or IPv6 literal; never starting with "-".
std::optional<std::string> CheckHostAddress(const std::string& address);

/// An SSH user name: [A-Za-z0-9_][A-Za-z0-9_.-]*.
std::optional<std::string> CheckUserName(const std::string& user);

/// A runtime mode (it selects a config set; it is also a template variable):
/// [A-Za-z0-9][A-Za-z0-9_.-]*.
std::optional<std::string> CheckRuntimeMode(const std::string& mode);

/// A rolling budget: "N" (N >= 1) or "N%" (1..100).
std::optional<std::string> CheckMaxUnavailable(const std::string& value);

/// Parses "500ms", "60s", "2m", "1h30m": one or more NUMBER+UNIT pairs, total > 0.
/// Returns nullopt and sets `*problem` when malformed.
std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text,
                                                       std::string* problem);

}  // namespace jlrec
