// Why a container is in a plan: a closed kind, the facts it was found from, and the one
// function that words them. The diff decides a reason and never writes its text, so the
// terminal, plan JSON's `reason`, drift reports and apply's messages say the same thing, and
// a saved plan (which keeps kind and facts) reads back with the same words.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace jlrec {

/// Why a container is in the plan: a closed set (after Terraform's action reasons), named in
/// plan JSON as `reason_kind` and, through DriftClassOf, the class a drift check reports.
/// Programs branch on this; ReasonText words it, with its facts, for people.
enum class ReasonKind {
  kNone,             ///< a no-op
  kMissing,          ///< +   no container by that name on the host
  kSpecChanged,      ///< -/+ an immutable field differs (image, command, ports, healthcheck, ...)
  kTagMoved,         ///< -/+ the image tag now points at another digest
  kUnmanaged,        ///< ! (or -/+ with --replace-unmanaged) the name is held by a container
                     ///<     jlrec does not manage for this project and host
  kScriptChanged,    ///< ~   the rendered /run.sh differs from the container's
  kScriptEdited,     ///< ~   the container's /run.sh was edited since jlrec wrote it
  kScriptMissing,    ///< ~   the container has no /run.sh
  kRestartPending,   ///< ~   /run.sh was written after the process started: a restart is due
  kStopped,          ///< >   the container is not running (exited, created)
  kUnhealthy,        ///< ~   Docker's health check reports it unhealthy: restart
  kRestartLoop,      ///< ~   Docker keeps restarting it (its process keeps exiting)
  kFailed,           ///< an action on it failed at an earlier apply and was not redone since
  kInterrupted,      ///< -/+ a replace was interrupted: NAME.jlrec-prev is still there
  kOrphan,           ///< -   this project's container, no longer in the manifest
  kHostUnreachable,  ///< ?   the host could not be refreshed
  kImageNotFound,    ///< ?   the image is neither in its registry nor on the host
  kAdoptable,        ///< =   made outside jlrec (the legacy script), matches the manifest
};

/// The JSON name of `kind` ("missing", "spec_changed", ..., "" for kNone).
const char* ReasonKindName(ReasonKind kind);
/// Parses ReasonKindName() output; nullopt for anything else.
std::optional<ReasonKind> ParseReasonKind(const std::string& name);
/// The class `jlrec drift` reports for a finding of `kind`: "missing", "spec_changed" (also
/// for a moved tag), "conflict", "script_changed" (changed, edited or missing /run.sh),
/// "restart_pending", "stopped", "unhealthy", "restart_loop", "failed", "interrupted",
/// "orphan", "unknown" (unreachable host), "image_not_found", "unadopted".
const char* DriftClassOf(ReasonKind kind);

/// The facts a reason's text is made from, beyond what its action holds anyway (host, name,
/// changes, failure, previous container, live fingerprint, adopt). Each field concerns only
/// the kinds named; elsewhere it keeps its default. Plan JSON carries them as `reason_facts`.
struct ReasonFacts {
  /// kFailed: the finding the host shows now, under the earlier failure (kNone: it looks in
  /// sync, and the failed action is simply redone).
  ReasonKind now = ReasonKind::kNone;
  int exit_code = 0;             ///< kStopped (exited), kRestartLoop: the process's last exit code
  int restart_count = 0;         ///< kRestartLoop: Docker's restarts since the last start
  std::int64_t stopped_run = 0;  ///< kInterrupted: the apply stopped during it (0: not known)
  bool from_cache = false;       ///< kScriptChanged: the live side is the cache's (no env values)
  std::string holder_project;    ///< kUnmanaged: the name holder's project ("": no jlrec labels)
  std::string holder_host;       ///< kUnmanaged: the host key it is managed for, when the
                                 ///< holder is this project's (a host sharing the daemon)
  std::string image;             ///< kImageNotFound: the image
  std::string detail;  ///< kImageNotFound: the registry's and host's answer; kHostUnreachable:
                       ///< why the host could not be refreshed
  bool operator==(const ReasonFacts&) const = default;
};

struct PlanAction;

/// The one-line human reason of `a` (e.g. "container is exited (exit code 1)"), made from its
/// reason kind, facts, changes, failure, previous container and fingerprint. "" for a no-op.
std::string ReasonText(const PlanAction& a);

}  // namespace jlrec
