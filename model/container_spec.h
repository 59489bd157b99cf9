// The immutable part of a container: what Docker fixes at create time.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/byte_codec.h"

namespace jlrec {

/// A manifest healthcheck. It is used twice: jlrec runs it via exec as apply's gate after a
/// start, and it is the container's Docker health check (HEALTHCHECK: Test = CMD + command,
/// Interval = interval, Timeout and StartPeriod = timeout, Retries = retries), so the daemon
/// keeps probing the container between applies and a refresh reads State.Health.
struct Healthcheck {
  std::vector<std::string> command;          ///< argv run inside the container; exit 0 = healthy
  std::chrono::milliseconds timeout{60000};  ///< gate: give up after this long; Docker: per probe
  std::chrono::milliseconds interval{1000};  ///< pause between probes (gate and Docker)
  int retries = 3;  ///< Docker: consecutive failed probes that make the container unhealthy
  bool operator==(const Healthcheck&) const = default;
};

/// The fields of a container that can only change by replacing it. Env is NOT here:
/// env lives in the rendered /run.sh (as in the legacy deploy script), so an env change
/// is an in-place update, never a replace.
///
/// To add a field (here or to Healthcheck): give it an entry in its FieldList in
/// model/spec_fields.h, which the digest, the codecs, the JSON column and the diff follow;
/// that file says what else it takes (the Docker translation, the caches' format numbers).
struct ContainerSpec {
  std::string image;                          ///< image reference as written ("repo/name:tag")
  std::vector<std::string> command;           ///< argv (Docker Cmd); empty = image default
  std::string network_mode;                   ///< "host", "none", "bridge", ... ("" = default)
  std::vector<std::string> volumes;           ///< bind specs "SRC:DST[:OPTS]", in manifest order
  std::string restart;                        ///< "no", "always", "unless-stopped", "on-failure"
  std::vector<std::string> ports;             ///< "[IP:]HOSTPORT:CONTAINERPORT[/PROTO]"
  std::map<std::string, std::string> labels;  ///< user labels (never the jlrec.* bookkeeping)
  /// The Docker health check (fixed at create time, like the fields above); nullopt = none
  /// asked for (the image's own, if any, applies).
  std::optional<Healthcheck> healthcheck;
  bool operator==(const ContainerSpec&) const = default;
};

/// sha256 of a canonical serialisation of `spec`'s fields in FieldList order (stable across
/// runs and machines). A spec without a healthcheck (or any field added since) digests as it
/// did before the field was part of the spec, so the spec-digest labels of containers made
/// by older versions still match.
std::string SpecDigest(const ContainerSpec& spec);

/// Appends `spec`'s fields, in FieldList order, to `w` in the state file caches' binary form
/// (model/byte_codec.h).
void WriteSpec(ByteWriter& w, const ContainerSpec& spec);
/// Reads what WriteSpec wrote into `spec` (check r.ok() afterwards).
void ReadSpec(ByteReader& r, ContainerSpec& spec);

/// The suffix a replace gives the container it replaces while the new one proves itself
/// ("NAME.jlrec-prev"); a container named so outside an apply is an interrupted replace.
inline constexpr const char* kPreviousSuffix = ".jlrec-prev";

/// Label keys jlrec writes on every container it manages (its bookkeeping).
namespace labels {
inline constexpr const char* kPrefix = "jlrec.";
inline constexpr const char* kProject = "jlrec.project";
inline constexpr const char* kGroups = "jlrec.groups";  ///< comma-separated, sorted
inline constexpr const char* kUnit = "jlrec.unit";      ///< "host/container"
/// The manifest's host key. Hosts may share a Docker daemon (two keys for one machine, or
/// a benchmark lab), so a host lists only the project's containers labelled with its key.
inline constexpr const char* kHost = "jlrec.host";
inline constexpr const char* kCore = "jlrec.core";  ///< "true" / "false"
inline constexpr const char* kSpecDigest = "jlrec.spec-digest";
inline constexpr const char* kScriptDigest = "jlrec.script-digest";
inline constexpr const char* kVersion = "jlrec.version";
}  // namespace labels

}  // namespace jlrec
